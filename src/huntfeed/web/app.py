"""The web UI and JSON API over a store (``huntfeed serve``): read-only unless given a token."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.middleware.trustedhost import TrustedHostMiddleware

from huntfeed import __version__
from huntfeed.feeds.document import MAX_DOCUMENT_BYTES
from huntfeed.feeds.fetch import FetchSettings
from huntfeed.model import IndicatorType, Profile, Severity, Source, as_utc
from huntfeed.render.ioc_format import defang
from huntfeed.web.security import SecurityHeaders, served_names

HERE = Path(__file__).resolve().parent
PERIODS: dict[str, timedelta | None] = {
    "24h": timedelta(days=1), "7d": timedelta(days=7), "30d": timedelta(days=30),
    "90d": timedelta(days=90), "all": None,
}
LAST_VISIT_COOKIE = "hf_last_visit"
# A request body is read whole before it is validated, so it is capped first: room for the longest
# text /api/analyze takes (its ``max_length``, then cut to the document limit) and the JSON around it.
MAX_BODY = 4 * MAX_DOCUMENT_BYTES + 64 * 1024
SORTS = ("published", "severity")  # the list's orders; the first is the default


class ProfileStore(Protocol):
    """The part of huntfeed.store.Store that the web app needs."""

    def list_profiles(self, *, severity: Severity | None = ..., since: datetime | None = ...,
                      source: str | None = ..., technique: str | None = ..., q: str | None = ...,
                      limit: int = ..., offset: int = ..., affects_us: bool = ...,
                      order: str = ...) -> list[Profile]: ...

    def count_profiles(self, *, severity: Severity | None = ..., since: datetime | None = ...,
                       source: str | None = ..., technique: str | None = ..., q: str | None = ...,
                       affects_us: bool = ...) -> int: ...

    def get_profile(self, pid: str, version: int | None = ...) -> Profile | None: ...

    def versions(self, pid: str) -> list[Profile]: ...

    def list_feeds(self) -> Sequence[Any]: ...

    def add_feed(self, source: Source) -> bool: ...

    def remove_feed(self, url: str) -> bool: ...

    def list_feedback(self) -> list[Any]: ...

    def add_feedback(self, rule: Any) -> bool: ...

    def remove_feedback(self, n: int) -> bool: ...


@dataclass(frozen=True, slots=True)
class Filters:
    """The list filters as given in the query string, parsed leniently for pages."""

    severity: Severity | None = None
    period: str = "all"
    source: str = ""
    technique: str = ""
    q: str = ""
    affects_us: bool = False  # only profiles that touch the team's environment

    def since(self, now: datetime) -> datetime | None:
        delta = PERIODS.get(self.period)
        return now - delta if delta else None

    def store_kwargs(self, now: datetime) -> dict[str, Any]:
        return {"severity": self.severity, "since": self.since(now), "source": self.source or None,
                "technique": self.technique.upper() or None, "q": self.q or None,
                **({"affects_us": True} if self.affects_us else {})}


def parse_filters(severity: str = "", period: str = "", source: str = "", technique: str = "",
                  q: str = "", *, default_period: str = "all", affects_us: str = "") -> Filters:
    """Filters from raw query values; unknown values fall back to 'no filter'."""
    sev = Severity.__members__.get(severity.upper()) if severity else None
    per = period if period in PERIODS else default_period
    return Filters(sev, per, source.strip()[:200], technique.strip()[:20], q.strip()[:200],
                   affects_us=affects_us in ("1", "on", "true"))


def _safe_href(url: str) -> str:
    """Only http(s) links from feeds become clickable; anything else (javascript:, data:) is dropped."""
    return url if url.lower().startswith(("https://", "http://")) else "#"


def _technique_url(tid: str) -> str:
    return "https://attack.mitre.org/techniques/" + tid.replace(".", "/") + "/"


def _fmt_dt(value: datetime | None) -> str:
    if value is None:
        return "—"
    return as_utc(value).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _tactic_name(shortname: str) -> str:
    """``command-and-control`` -> ``Command and Control``, as the ATT&CK matrix writes it."""
    small = {"and", "or", "of"}
    words = shortname.split("-")
    return " ".join(w if w in small and i else w.capitalize() for i, w in enumerate(words))


def _defang(value: str, kind: str) -> str:
    try:
        return defang(value, IndicatorType(kind))
    except ValueError:
        return value


_QUERY_ORDER = ("spl", "spl_raw", "kql", "sentinel", "sigma")


def ordered_queries(queries: Mapping[str, str]) -> list[tuple[str, str]]:
    """A hunt's queries in the order analysts read them: SPL, KQL, then Sigma, then anything else."""
    rank = {k: i for i, k in enumerate(_QUERY_ORDER)}
    return sorted(queries.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0]))


def default_tactic_order() -> tuple[str, ...]:
    """Tactic shortnames in matrix order from the ATT&CK catalog (downloaded bundle or offline copy)."""
    try:
        from huntfeed.attack.engine import load_catalog
    except ImportError:  # pragma: no cover - the ATT&CK engine ships with the package
        return ()
    return tuple(load_catalog().tactic_order)


def create_app(store: ProfileStore, *, tactic_order: Callable[[], Sequence[str]] | None = None,
               clock: Callable[[], datetime] | None = None, page_size: int = 25, token: str | None = None,
               fetch_settings: FetchSettings | None = None, served: Sequence[str] | None = None) -> FastAPI:
    """The FastAPI app serving ``store``; with a ``token``, the write calls of ``web.write`` too.

    ``served`` are the Host header names answered (default: loopback names only); any other
    Host gets a 400, so a rebinding DNS name cannot read the API through the analyst's browser.
    """
    app = FastAPI(title="huntfeed", version=__version__, description=(
        "API over huntfeed's threat profiles. Profiles use the JSON profile schema; exports return the "
        "document in the format asked for. Reads are open; calls that change state or fetch need "
        "`Authorization: Bearer <token>` and are refused when the server has no token."), max_body_size=MAX_BODY)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(served or served_names()))
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(directory=HERE / "templates")  # autoescapes .html templates
    env = templates.env
    env.filters.update(safe_href=_safe_href, dt=_fmt_dt, defang=_defang, technique_url=_technique_url,
                       tactic_name=_tactic_name)
    env.globals.update(version=__version__, severities=[s.value for s in reversed(Severity)],
                       periods=list(PERIODS), ordered_queries=ordered_queries)
    order_cache: list[tuple[str, ...]] = []

    def tactics() -> tuple[str, ...]:
        if not order_cache:
            order_cache.append(tuple((tactic_order or default_tactic_order)()))
        return order_cache[0]

    app.state.store = store
    app.state.templates = templates
    app.state.clock = clock or (lambda: datetime.now(UTC))
    app.state.tactics = tactics
    app.state.page_size = page_size
    app.state.token = token or None
    app.state.fetch_settings = fetch_settings or FetchSettings()

    from huntfeed.web import (  # routes read their dependencies from app.state
        api,
        campaign_pages,
        feedback,
        pages,
        taxii,
        write,
    )

    app.include_router(api.router)
    app.include_router(taxii.router)
    app.include_router(campaign_pages.router)
    app.include_router(write.router)
    app.include_router(feedback.router)
    app.include_router(pages.router)
    return app
