"""Campaign pages (``/campaigns``, ``/campaigns/{id}``), their API and the TAXII campaigns collection."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse

from huntfeed.campaigns.campaign import Campaign, find_campaign, load_campaigns
from huntfeed.campaigns.render import RENDER, added_summary, build_stix, to_dict
from huntfeed.render.ioc_format import utc
from huntfeed.web import taxii

router = APIRouter()
CAMPAIGNS_COLLECTION = str(uuid.uuid5(taxii._NS, "collection|campaigns"))
_MEDIA = {"md": "text/markdown", "json": "application/json", "stix": "application/json"}


def _get(request: Request, cid: str) -> Campaign:
    c = find_campaign(request.app.state.store, cid)
    if c is None:
        raise HTTPException(404, "no such campaign")
    return c


@router.api_route("/campaigns", methods=["GET", "HEAD"], response_class=HTMLResponse, include_in_schema=False)
def campaigns_page(request: Request) -> HTMLResponse:
    found = load_campaigns(request.app.state.store)
    resp: HTMLResponse = request.app.state.templates.TemplateResponse(
        request, "campaigns.html", {"nav": "campaigns", "campaigns": found, "added": added_summary})
    return resp


@router.api_route("/campaigns/{cid}", methods=["GET", "HEAD"], response_class=HTMLResponse, include_in_schema=False)
def campaign_page(request: Request, cid: str) -> HTMLResponse:
    c = _get(request, cid)
    titles = {p.id: p.title for p in c.members}
    resp: HTMLResponse = request.app.state.templates.TemplateResponse(
        request, "campaign.html", {"nav": "campaigns", "c": c, "titles": titles, "added": added_summary})
    return resp


@router.get("/api/campaigns", tags=["api"], summary="Every campaign, most recently active first")
def api_campaigns(request: Request) -> list[dict[str, Any]]:
    return [to_dict(c) for c in load_campaigns(request.app.state.store)]


@router.get("/api/campaigns/{cid}", tags=["api"], summary="One campaign as JSON, Markdown or a STIX bundle",
            response_class=PlainTextResponse)
def api_campaign(request: Request, cid: str,
                 format: Annotated[str, Query(pattern="^(md|json|stix)$")] = "json") -> PlainTextResponse:
    return PlainTextResponse(RENDER[format](_get(request, cid)), media_type=_MEDIA[format])


def campaign_items(store: Any, after: datetime | None, after_key: str, limit: int) -> list[taxii.Item]:
    """The campaigns collection: each campaign's STIX bundle, added when its newest report was analysed."""
    items = []
    for c in load_campaigns(store):
        at = utc(max(p.analysed_at for p in c.members))
        if after is None or (at, c.id) > (after, after_key):
            items.append((at, c.id, json.loads(build_stix(c).serialize())["objects"]))
    return sorted(items, key=lambda x: (x[0], x[1]))[:limit]


taxii.register(taxii.Collection(
    CAMPAIGNS_COLLECTION, "huntfeed campaigns",
    "One STIX campaign per set of linked reports, with its relationships and the reports it is built from.",
    campaign_items))
