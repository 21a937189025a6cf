"""A read-only TAXII 2.1 server under ``/taxii2/``: MISP, OpenCTI and friends subscribe directly.

Discovery (``/taxii2/``), one API root (``/taxii2/api/``), its collections and, per collection,
``objects/`` and ``manifest/`` with ``added_after``, ``limit``, ``next``, ``match[id]`` and
``match[type]``. A collection is a sequence of STIX objects, each added when the profile (or
campaign) that carries it was last analysed; paging walks that sequence with an opaque cursor
(the last profile's analysed time and id, and how many of its objects were handed out), so no
object is skipped or repeated between pages. Reads are open, as for the JSON API; nothing can be
written (POST answers 403, as a TAXII server without write permission must).
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response

from huntfeed import __version__
from huntfeed.model import Profile, as_utc
from huntfeed.render.ioc_format import utc

TAXII = "application/taxii+json;version=2.1"
STIX = "application/stix+json;version=2.1"
MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
_NS = uuid.UUID("3d1f7a52-0c6b-5e9a-b8f4-6a2e1c9d0b71")
PROFILES_COLLECTION = str(uuid.uuid5(_NS, "collection|profiles"))
_BATCH = 20  # profiles read per store query while filling a page

router = APIRouter(prefix="/taxii2", include_in_schema=False)

# A source gives, after a (time, key) cursor, the next items in order: (time, key, STIX objects).
Item = tuple[datetime, str, list[dict[str, Any]]]
ItemSource = Callable[[Any, datetime | None, str, int], list[Item]]


@dataclass(frozen=True, slots=True)
class Collection:
    """One TAXII collection: its description and where its objects come from."""

    id: str
    title: str
    description: str
    items: ItemSource

    def info(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "description": self.description, "can_read": True,
                "can_write": False, "media_types": [STIX]}


class _ObjectCache:
    """STIX objects per (profile id, version): rendering a profile costs tens of ms, paging must not."""

    def __init__(self, size: int = 2048) -> None:
        self._data: OrderedDict[tuple[str, int], list[dict[str, Any]]] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, p: Profile) -> list[dict[str, Any]]:
        key = (p.id, p.version)
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
        objects = _profile_objects(p)
        with self._lock:
            self._data[key] = objects
            while len(self._data) > self._size:
                self._data.popitem(last=False)
        return objects


def _profile_objects(p: Profile) -> list[dict[str, Any]]:
    from huntfeed.render.stix import build_bundle

    bundle: dict[str, Any] = json.loads(build_bundle([p]).serialize())
    objects: list[dict[str, Any]] = bundle["objects"]
    return objects


_CACHE = _ObjectCache()


def profile_items(store: Any, after: datetime | None, after_key: str, limit: int) -> list[Item]:
    """The profiles collection: each profile's report and everything it cites."""
    return [(utc(p.analysed_at), p.id, _CACHE.get(p))
            for p in store.profiles_added_after(after, after_key, limit=limit)]


COLLECTIONS: dict[str, Collection] = {
    PROFILES_COLLECTION: Collection(
        PROFILES_COLLECTION, "huntfeed profiles",
        "One STIX report per threat profile with its indicators, techniques, vulnerabilities and actors.",
        profile_items),
}


def register(collection: Collection) -> None:
    """Add a collection (the campaigns package adds its own)."""
    COLLECTIONS[collection.id] = collection


def _stamp(value: datetime) -> str:
    return utc(value).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse_time(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise HTTPException(400, f"added_after: not an RFC 3339 timestamp: {value[:60]!r}") from None
    return as_utc(parsed)


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a page ends: items strictly after (``at``, ``key``), less the first ``skip`` objects of the first.

    ``at``/``key`` name the item *before* the one the page stopped in, so the next page starts
    with that item again and skips what was already handed out.
    """

    at: datetime | None
    key: str = ""
    skip: int = 0

    def encode(self) -> str:
        raw = json.dumps([_stamp(self.at) if self.at else None, self.key, self.skip]).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        try:
            at, key, skip = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            return cls(_parse_time(at) if at else None, str(key), max(0, int(skip)))
        except (ValueError, TypeError, binascii.Error):
            raise HTTPException(400, "next: not a value this server handed out") from None


def _taxii(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(body, status_code=status, media_type=TAXII, headers=headers)


def _check_accept(request: Request) -> None:
    accept = request.headers.get("accept", "")
    if accept and not any(t in accept for t in ("application/taxii+json", "*/*", "application/*")):
        raise HTTPException(406, f"this server answers {TAXII}")
    if "version=" in accept and "version=2.1" not in accept and "*/*" not in accept:
        raise HTTPException(406, "only TAXII 2.1 is served")


def _collection(request: Request, cid: str) -> Collection:
    _check_accept(request)
    found = COLLECTIONS.get(cid)
    if found is None:
        raise HTTPException(404, "no such collection")
    return found


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a collection: (date added, object) pairs, and the cursor after them if there is more."""

    entries: list[tuple[datetime, dict[str, Any]]]
    more: Cursor | None


def _matches(obj: dict[str, Any], ids: set[str], types: set[str]) -> bool:
    return (not ids or obj.get("id") in ids) and (not types or obj.get("type") in types)


def _walk(request: Request, col: Collection, start: Cursor) -> Iterator[tuple[Cursor, datetime, dict[str, Any]]]:
    """Every object from ``start`` on, each with the cursor that resumes at it and its date added."""
    prev_at, prev_key, skip = start.at, start.key, start.skip
    while True:
        batch = col.items(request.app.state.store, prev_at, prev_key, _BATCH)
        for at, key, objects in batch:
            for i in range(skip, len(objects)):
                yield Cursor(prev_at, prev_key, i), at, objects[i]
            skip = 0
            prev_at, prev_key = at, key
        if len(batch) < _BATCH:
            return


def page_of(request: Request, col: Collection, start: Cursor, limit: int, ids: set[str], types: set[str]) -> Page:
    """Up to ``limit`` matching objects from ``start``; ``more`` says where the next page begins."""
    entries: list[tuple[datetime, dict[str, Any]]] = []
    for resume, at, obj in _walk(request, col, start):
        if not _matches(obj, ids, types):
            continue
        if len(entries) == limit:
            return Page(entries, resume)
        entries.append((at, obj))
    return Page(entries, None)


def _selection(request: Request, added_after: str | None, next_: str | None, limit: int | None,
               ) -> tuple[Cursor, int, set[str], set[str]]:
    start = Cursor.decode(next_) if next_ else Cursor(_parse_time(added_after) if added_after else None, "\uffff")
    params = request.query_params

    def listed(name: str) -> set[str]:
        return {v.strip() for raw in params.getlist(name) for v in raw.split(",") if v.strip()}

    unsupported = sorted(k for k in params if k.startswith("match[") and k not in ("match[id]", "match[type]"))
    if unsupported:
        raise HTTPException(400, f"unsupported filter(s): {', '.join(unsupported)}; this server has "
                                 "match[id] and match[type]")
    return start, min(limit or DEFAULT_LIMIT, MAX_LIMIT), listed("match[id]"), listed("match[type]")


def _range_headers(entries: Sequence[tuple[datetime, Any]]) -> dict[str, str]:
    if not entries:
        return {}
    return {"X-TAXII-Date-Added-First": _stamp(entries[0][0]), "X-TAXII-Date-Added-Last": _stamp(entries[-1][0])}


@router.get("/")
def discovery(request: Request) -> Response:
    _check_accept(request)
    return _taxii({"title": "huntfeed TAXII 2.1", "description": "Threat profiles and campaigns from huntfeed, "
                   "read-only.", "default": "/taxii2/api/", "api_roots": ["/taxii2/api/"]})


@router.get("/api/")
def api_root(request: Request) -> Response:
    _check_accept(request)
    return _taxii({"title": "huntfeed", "description": f"huntfeed {__version__}", "versions": [TAXII],
                   "max_content_length": 0})


@router.get("/api/collections/")
def collections(request: Request) -> Response:
    _check_accept(request)
    return _taxii({"collections": [c.info() for c in COLLECTIONS.values()]})


@router.get("/api/collections/{cid}/")
def collection(request: Request, cid: str) -> Response:
    return _taxii(_collection(request, cid).info())


Limit = Annotated[int | None, Query(ge=1)]
Text = Annotated[str | None, Query(max_length=400)]


def _page(request: Request, cid: str, added_after: str | None, after: str | None, limit: int | None) -> Page:
    # The objects and manifest endpoints page the same selection; only what each lists differs.
    col = _collection(request, cid)
    start, size, ids, types = _selection(request, added_after, after, limit)
    return page_of(request, col, start, size, ids, types)


def _envelope(page: Page, items: list[dict[str, Any]]) -> Response:
    """TAXII 2.1's envelope: ``more``, the next page's token, the objects (absent when none)."""
    body: dict[str, Any] = {"more": page.more is not None}
    if page.more is not None:
        body["next"] = page.more.encode()
    if items:
        body["objects"] = items
    return _taxii(body, headers=_range_headers(page.entries))


@router.get("/api/collections/{cid}/objects/")
def objects(request: Request, cid: str, added_after: Text = None, next: Text = None,  # noqa: A002 - TAXII's name
            limit: Limit = None) -> Response:
    page = _page(request, cid, added_after, next, limit)
    return _envelope(page, [obj for _, obj in page.entries])


@router.get("/api/collections/{cid}/manifest/")
def manifest(request: Request, cid: str, added_after: Text = None, next: Text = None,  # noqa: A002
             limit: Limit = None) -> Response:
    page = _page(request, cid, added_after, next, limit)
    return _envelope(page, [{"id": o["id"], "date_added": _stamp(at), "version": o.get("modified", o.get("created",
                             _stamp(at))), "media_type": STIX} for at, o in page.entries])


@router.post("/api/collections/{cid}/objects/")
def add_objects(request: Request, cid: str) -> Response:
    _collection(request, cid)
    raise HTTPException(403, "this TAXII server is read-only: collections cannot be written")
