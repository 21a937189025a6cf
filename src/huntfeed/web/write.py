"""The API calls that change state or make the server fetch: each one needs the server's token.

Reads are open to whoever reaches the (loopback by default) socket; following a feed, dropping
one, or asking the server to fetch and analyse a URL need ``Authorization: Bearer <token>``.
A server started without a token refuses them all. Browsers cannot send that header across
origins without a CORS preflight, which this app never grants, so a hostile page cannot ride
an analyst's browser into these calls.
"""

from __future__ import annotations

import hmac
import threading
from dataclasses import replace
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field

from huntfeed.errors import HuntfeedError, ParseError
from huntfeed.feeds.article import document_article
from huntfeed.feeds.document import MAX_DOCUMENT_BYTES, read_document
from huntfeed.model import Source
from huntfeed.render.json_profile import profile_to_dict

if TYPE_CHECKING:
    from huntfeed.pipeline import Knowledge

router = APIRouter(prefix="/api", tags=["write (token)"])
_kb_lock = threading.Lock()


def require_token(request: Request, authorization: Annotated[str | None, Header()] = None) -> None:
    """401 without the right bearer token; 403 when the server was started without one."""
    token: str | None = request.app.state.token
    if not token:
        raise HTTPException(403, "writes are disabled: start `huntfeed serve` with --token-file FILE "
                                 "or HUNTFEED_API_TOKEN to enable them")
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise HTTPException(401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"})


Authorised = Annotated[None, Depends(require_token)]


class FeedIn(BaseModel):
    """A feed to follow."""

    url: str = Field(max_length=2000, pattern=r"^https?://")
    name: str = Field(default="", max_length=300)
    reliability: str = Field(default="B", pattern="^[A-Fa-f]$")


class DocumentIn(BaseModel):
    """A document to analyse: its text (HTML or plain), or a URL for the server to fetch."""

    text: str | None = Field(default=None, max_length=4 * MAX_DOCUMENT_BYTES)  # cut to the limit, noted
    url: str | None = Field(default=None, max_length=2000, pattern=r"^https?://")
    title: str = Field(default="", max_length=500)


@router.post("/feeds", status_code=201, summary="Follow a feed (token)")
def add_feed(request: Request, feed: FeedIn, _: Authorised) -> dict[str, Any]:
    new = request.app.state.store.add_feed(
        Source(url=feed.url, name=feed.name or feed.url, reliability=feed.reliability.upper()))
    return {"url": feed.url, "added": bool(new)}


@router.delete("/feeds", status_code=204, summary="Stop following a feed (token); its profiles stay")
def remove_feed(request: Request, url: Annotated[str, Query(max_length=2000)], _: Authorised) -> Response:
    if not request.app.state.store.remove_feed(url):
        raise HTTPException(404, "not a followed feed")
    return Response(status_code=204)


@router.post("/analyze", summary="Analyse one document and return its profile, without storing it (token)")
def analyze(request: Request, doc: DocumentIn, _: Authorised) -> dict[str, Any]:
    from huntfeed.feeds.fetch import Fetcher
    from huntfeed.pipeline import analyse

    if (doc.text is None) == (doc.url is None):
        raise HTTPException(422, "give exactly one of text or url")
    raw: str | bytes | None = doc.text
    if raw is None:
        assert doc.url is not None
        try:  # the fetch settings carry the SSRF guard and --allow-host, as for feed links
            with Fetcher(request.app.state.fetch_settings) as fetcher:
                raw = fetcher.get(doc.url).content
        except HuntfeedError as exc:
            raise HTTPException(422, f"cannot fetch {doc.url}: {exc}") from exc
    try:  # the same input limits as `huntfeed analyze`, said in the profile's notes
        document = read_document(raw, url=doc.url or "", where=doc.url or "text")
    except ParseError as exc:
        raise HTTPException(422, str(exc)) from exc
    article = document_article(document.text, url=doc.url or "", title=doc.title)
    return profile_to_dict(replace(analyse(article, _knowledge(request)), notes=document.notes))


def _knowledge(request: Request) -> Knowledge:
    # Loaded on the first analysis only: a server that just shows profiles never pays for the models.
    with _kb_lock:
        kb = getattr(request.app.state, "knowledge", None)
        if kb is None:
            from huntfeed.environment.load import find_environment
            from huntfeed.pipeline import Knowledge

            kb = request.app.state.knowledge = Knowledge.load(environment=find_environment())
        return kb
