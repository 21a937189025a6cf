"""JSON API: profiles (JSON profile schema), versions, exports, feeds and the heatmap."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import PlainTextResponse

from huntfeed.model import Severity
from huntfeed.render import RENDERERS, get_renderer
from huntfeed.render.json_profile import profile_to_dict
from huntfeed.web import heatmap
from huntfeed.web.app import PERIODS, Filters

router = APIRouter(prefix="/api", tags=["api"])
_MEDIA = {"json": "application/json", "stix": "application/json", "misp": "application/json",
          "navigator": "application/json", "csv": "text/csv", "md": "text/markdown"}


def _feed_dict(f: Any) -> dict[str, Any]:
    def iso(v: Any) -> Any:
        return v.isoformat() if v is not None else None

    return {"url": f.url, "name": f.name, "reliability": f.reliability, "last_polled": iso(f.last_polled),
            "last_status": f.last_status, "last_error": f.last_error, "error_count": f.error_count}


@router.get("/profiles", summary="List profiles (latest version of each), newest first")
def list_profiles(
    request: Request,
    severity: Annotated[Severity | None, Query(description="minimum severity")] = None,
    period: Annotated[str, Query(pattern="^(" + "|".join(PERIODS) + ")$")] = "all",
    source: Annotated[str | None, Query(max_length=200)] = None,
    technique: Annotated[str | None, Query(max_length=20)] = None,
    q: Annotated[str | None, Query(max_length=200, description="full-text search")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="at most 1,000,000")] = 0,
) -> dict[str, Any]:
    store = request.app.state.store
    kwargs = Filters(severity, period, source or "", technique or "", q or "").store_kwargs(
        request.app.state.clock())
    items = store.list_profiles(**kwargs, limit=limit, offset=offset)
    return {"total": store.count_profiles(**kwargs), "limit": limit, "offset": offset,
            "profiles": [profile_to_dict(p) for p in items]}


@router.get("/profiles/{pid}", summary="One profile (latest version, or ?version=N)")
def get_profile(request: Request, pid: str, version: Annotated[int | None, Query(ge=1)] = None) -> dict[str, Any]:
    p = request.app.state.store.get_profile(pid, version)
    if p is None:
        raise HTTPException(404, "no such profile")
    return profile_to_dict(p)


@router.get("/profiles/{pid}/versions", summary="Every version of a profile with its changes, oldest first")
def get_versions(request: Request, pid: str) -> list[dict[str, Any]]:
    vs = request.app.state.store.versions(pid)
    if not vs:
        raise HTTPException(404, "no such profile")
    return [profile_to_dict(p) for p in vs]


@router.get("/profiles/{pid}/export", summary="A profile in one of the export formats",
            response_class=PlainTextResponse)
def export_profile(request: Request, pid: str,
                   format: Annotated[str, Query(pattern="^(" + "|".join(RENDERERS) + ")$")] = "stix",
                   ) -> PlainTextResponse:
    p = request.app.state.store.get_profile(pid)
    if p is None:
        raise HTTPException(404, "no such profile")
    body = get_renderer(format)([p])
    ext = {"md": "md", "csv": "csv"}.get(format, "json")
    return PlainTextResponse(body, media_type=_MEDIA.get(format, "text/plain"), headers={
        "Content-Disposition": f'attachment; filename="huntfeed-{p.id}-{format}.{ext}"'})


@router.get("/feeds", summary="Followed feeds with their last poll, status and errors")
def list_feeds(request: Request) -> list[dict[str, Any]]:
    return [_feed_dict(f) for f in request.app.state.store.list_feeds()]


@router.get("/heatmap", summary="Techniques per tactic, scored by the number of citing profiles")
def get_heatmap(request: Request,
                period: Annotated[str, Query(pattern="^(" + "|".join(PERIODS) + ")$")] = "30d",
                ) -> dict[str, Any]:
    profiles = request.app.state.store.list_profiles(
        **Filters(period=period).store_kwargs(request.app.state.clock()), limit=5000)
    cols = heatmap.build(profiles, request.app.state.tactics())
    return {"period": period, "profiles": len(profiles), "tactics": [
        {"tactic": c.tactic, "techniques": [{"id": x.id, "name": x.name, "count": x.count} for x in c.cells]}
        for c in cols]}


@router.get("/navigator", summary="ATT&CK Navigator layer (format 4.5) for a period",
            response_class=PlainTextResponse)
def get_navigator(request: Request,
                  period: Annotated[str, Query(pattern="^(" + "|".join(PERIODS) + ")$")] = "30d",
                  ) -> PlainTextResponse:
    from huntfeed.render import navigator

    profiles = request.app.state.store.list_profiles(
        **Filters(period=period).store_kwargs(request.app.state.clock()), limit=5000)
    return PlainTextResponse(navigator.render(profiles), media_type="application/json", headers={
        "Content-Disposition": f'attachment; filename="huntfeed-layer-{period}.json"'})
