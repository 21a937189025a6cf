"""Server-rendered pages: list, profile, heatmap, feeds and 'new since my last visit'."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from huntfeed.web import heatmap
from huntfeed.web.app import LAST_VISIT_COOKIE, PERIODS, Filters, parse_filters

router = APIRouter(include_in_schema=False)
_HEAT_CAP = 5000


def _page(request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    ctx.setdefault("nav", name.removesuffix(".html"))
    resp: HTMLResponse = request.app.state.templates.TemplateResponse(request, name, ctx, status_code=status)
    return resp


def _int(value: str, default: int) -> int:
    return int(value) if value.isdigit() and len(value) < 9 else default


def _listing(request: Request, f: Filters, page: int, since: datetime | None = None) -> dict[str, Any]:
    store, size = request.app.state.store, request.app.state.page_size
    kwargs = f.store_kwargs(request.app.state.clock())
    if since is not None:
        kwargs["since"] = since
    total = store.count_profiles(**kwargs)
    pages = max(1, -(-total // size))
    page = min(max(page, 1), pages)
    items = store.list_profiles(**kwargs, limit=size, offset=(page - 1) * size)
    return {"profiles": items, "total": total, "page": page, "pages": pages, "filters": f}


@router.api_route("/", methods=["GET", "HEAD"], response_class=HTMLResponse)
def index(request: Request, severity: str = "", period: str = "", source: str = "", technique: str = "",
          q: str = "", page: str = "1", affects_us: str = "") -> HTMLResponse:
    f = parse_filters(severity, period, source, technique, q, affects_us=affects_us)
    feeds = request.app.state.store.list_feeds()
    sources = sorted({x.name for x in feeds if x.name})
    return _page(request, "list.html", sources=sources, **_listing(request, f, _int(page, 1)))


@router.api_route("/new", methods=["GET", "HEAD"], response_class=HTMLResponse)
def new_since_visit(request: Request, page: str = "1") -> HTMLResponse:
    now = request.app.state.clock()
    try:
        last = datetime.fromisoformat(request.cookies.get(LAST_VISIT_COOKIE, ""))
    except ValueError:
        last = None
    if last is not None and last.tzinfo is None:
        last = None
    # First visit: the last day stands in for "since last time".
    since = last or Filters(period="24h").since(now)
    resp = _page(request, "new.html", last_visit=last, since=since,
                 **_listing(request, Filters(), _int(page, 1), since=since))
    resp.set_cookie(LAST_VISIT_COOKIE, now.isoformat(), max_age=400 * 86400, httponly=True, samesite="lax")
    return resp


@router.api_route("/profiles/{pid}", methods=["GET", "HEAD"], response_class=HTMLResponse)
def profile_page(request: Request, pid: str, version: str = "") -> HTMLResponse:
    store = request.app.state.store
    versions = store.versions(pid)
    if not versions:
        return _page(request, "error.html", 404, message="No profile with that id.")
    wanted = _int(version, versions[-1].version)
    p = next((v for v in versions if v.version == wanted), versions[-1])
    return _page(request, "profile.html", p=p, versions=versions, latest=versions[-1].version)


@router.api_route("/heatmap", methods=["GET", "HEAD"], response_class=HTMLResponse)
def heatmap_page(request: Request, period: str = "30d") -> HTMLResponse:
    f = parse_filters(period=period, default_period="30d")
    profiles = request.app.state.store.list_profiles(**f.store_kwargs(request.app.state.clock()),
                                                     limit=_HEAT_CAP)
    cols = heatmap.build(profiles, request.app.state.tactics())
    return _page(request, "heatmap.html", wide=True, columns=cols, period=f.period, n_profiles=len(profiles),
                 levels=heatmap.LEVELS)


@router.api_route("/blind-spots", methods=["GET", "HEAD"], response_class=HTMLResponse)
def blind_spots_page(request: Request, period: str = "30d") -> HTMLResponse:
    """Techniques seen in the period whose hunts the team cannot run, and the data sources that would close them."""
    from huntfeed.environment.report import blind_spots

    f = parse_filters(period=period, default_period="30d")
    profiles = request.app.state.store.list_profiles(**f.store_kwargs(request.app.state.clock()), limit=_HEAT_CAP)
    with_env = [p for p in profiles if p.relevance is not None]
    return _page(request, "blind_spots.html", spots=blind_spots(with_env), period=f.period,
                 n_profiles=len(profiles), n_env=len(with_env), periods=list(PERIODS))


@router.api_route("/feeds", methods=["GET", "HEAD"], response_class=HTMLResponse)
def feeds_page(request: Request) -> HTMLResponse:
    return _page(request, "feeds.html", feeds=request.app.state.store.list_feeds())


@router.get("/robots.txt")
def robots() -> Response:
    return Response("User-agent: *\nDisallow: /\n", media_type="text/plain")
