"""Feed parsing with feedparser: RSS 0.9x/1.0/2.0 and Atom into Entry records."""

from __future__ import annotations

import calendar
import hashlib
import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from huntfeed.errors import ParseError
from huntfeed.model import Entry

# A feed with more items than this is cut: nobody publishes that many at once, an attacker might.
MAX_ITEMS = 5000
_TAG = re.compile(r"<[^>]{0,2000}>")
_CHARREF = re.compile(rb"&#([xX][0-9a-fA-F]{1,16}|[0-9]{1,24});?")
_INTERNAL_SUBSET = re.compile(rb"<!DOCTYPE[^\[>]{0,2000}\[(.*?)\]\s*>", re.S)
_PROLOG_SCAN = 1_000_000
# C0 controls (bar tab and newlines), DEL and C1: terminal escapes in a title, NULs PostgreSQL rejects.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def clean_text(value: object) -> str:
    """The value as text without control characters (terminal escapes, NULs)."""
    return _CONTROL.sub("", str(value or ""))
_SPACE = re.compile(r"[ \t\r\f\v]+")


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A feed's title and its entries (newest first, as published)."""

    title: str
    link: str
    entries: tuple[Entry, ...]
    truncated: bool = False
    notes: tuple[str, ...] = ()  # what was odd but survivable: recorded as issues by the runner


def strip_html(fragment: str) -> str:
    """Plain text of a small HTML fragment (feed summaries); block tags become line breaks."""
    text = re.sub(r"(?i)<\s*(br|/p|/div|/li|/h[1-6]|/tr)\b[^>]{0,200}>", "\n", fragment)
    text = html.unescape(_TAG.sub(" ", text))
    lines = (_SPACE.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _neutral_charrefs(content: bytes) -> bytes:
    """Replace character references to NUL, surrogates or past U+10FFFF, which crash feedparser."""

    def fix(m: re.Match[bytes]) -> bytes:
        ref = m.group(1)
        try:
            code = int(ref[1:], 16) if ref[:1] in (b"x", b"X") else int(ref)
        except ValueError:
            return b"&#xFFFD;"
        if code == 0 or 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
            return b"&#xFFFD;"
        return m.group(0)

    return _CHARREF.sub(fix, content)


def _refuse_entities(content: bytes, feed_url: str) -> None:
    m = _INTERNAL_SUBSET.search(content[:_PROLOG_SCAN])
    if m and b"<!ENTITY" in m.group(1):
        raise ParseError(
            "feed declares XML entities in its DOCTYPE (<!ENTITY>): refused as an external-entity or "
            "entity-expansion attack",
            where=feed_url,
        )


def _when(item: Any, notes: dict[str, list[str]]) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = item.get(key)
        if value:
            try:
                when = datetime.fromtimestamp(calendar.timegm(value), UTC)
            except (OverflowError, ValueError, OSError):
                continue
            # Dates far in the future are typos or tricks; they would pin an item to the top for ever.
            if when > datetime.now(UTC) + timedelta(days=2):
                notes["future"].append(when.date().isoformat())
                return None
            return when
    raw = next((str(item.get(k)) for k in ("published", "updated", "created") if item.get(k)), "")
    if raw:
        notes["unparsable"].append(raw[:60])
    return None


def _content(item: Any) -> str:
    best = ""
    for part in item.get("content") or ():
        value = part.get("value") or ""
        if len(value) > len(best):
            best = value
    return best


def parse_feed(content: bytes, feed_url: str, source_name: str = "") -> ParsedFeed:
    """Parse a feed body; a body with no usable items and a parser complaint is a ParseError."""
    import feedparser  # here, not at the top: analysing a document needs this module's text helpers only (0.09 s)

    _refuse_entities(content, feed_url)
    try:
        parsed = feedparser.parse(_neutral_charrefs(content), sanitize_html=True, resolve_relative_uris=True)
    except (RecursionError, MemoryError) as exc:
        raise ParseError(f"feed too deeply nested or too large to parse: {exc.__class__.__name__}",
                         where=feed_url) from exc
    except Exception as exc:  # feedparser's loose parser has crashed on crafted input before
        raise ParseError(f"feed parser failed: {exc.__class__.__name__}: {exc}", where=feed_url) from exc
    usable = [i for i in parsed.entries if i.get("link") or i.get("title") or i.get("summary")]
    if parsed.get("bozo") and not usable:
        why = parsed.get("bozo_exception")
        raise ParseError(f"not a readable feed: {why.__class__.__name__}: {why}", where=feed_url)
    if not usable and not parsed.feed.get("title"):
        raise ParseError("no feed items and no feed title: not a feed", where=feed_url)
    title = clean_text(parsed.feed.get("title")) or source_name
    notes: list[str] = []
    if parsed.get("bozo"):
        why = parsed.get("bozo_exception")
        notes.append(f"feed is not well-formed ({why.__class__.__name__}: {str(why)[:200]}); "
                     f"read {len(usable)} item(s) leniently")
    if len(usable) > MAX_ITEMS:
        notes.append(f"feed lists {len(usable)} items; only the first {MAX_ITEMS} are read")
    seen: set[str] = set()
    odd: dict[str, list[str]] = {"future": [], "unparsable": [], "duplicate": []}
    entries: list[Entry] = []
    for item in usable[:MAX_ITEMS]:
        link = clean_text(item.get("link")).strip()
        guid = clean_text(item.get("id")) or link or hashlib.sha256(clean_text(item.get("title")).encode()).hexdigest()
        if guid in seen:  # duplicate GUIDs: the first one wins
            odd["duplicate"].append(guid[:80])
            continue
        seen.add(guid)
        entries.append(
            Entry(
                feed_url=feed_url,
                guid=guid[:2000],
                title=strip_html(clean_text(item.get("title")))[:500] or "(untitled)",
                link=link[:4000],
                published=_when(item, odd),
                summary=strip_html(clean_text(item.get("summary")))[:20000],
                content=clean_text(_content(item))[:2_000_000],
                source_name=source_name or title,
            )
        )
    if odd["duplicate"]:
        notes.append(f"{len(odd['duplicate'])} item(s) repeat a GUID already in the feed "
                     f"(first: {odd['duplicate'][0]!r}); kept the first of each")
    if odd["future"]:
        notes.append(f"{len(odd['future'])} item(s) dated in the future (first: {odd['future'][0]}); "
                     "date ignored")
    if odd["unparsable"]:
        notes.append(f"{len(odd['unparsable'])} item(s) with an unparsable date (first: {odd['unparsable'][0]!r}); "
                     "date left unknown")
    return ParsedFeed(title=title, link=str(parsed.feed.get("link", "")), entries=tuple(entries),
                      truncated=len(usable) > MAX_ITEMS, notes=tuple(notes))


def fingerprint(entry: Entry) -> str:
    """What makes an item "changed": title, link, summary, content and date."""
    h = hashlib.sha256()
    for part in (entry.title, entry.link, entry.summary, entry.content,
                 entry.published.isoformat() if entry.published else ""):
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()
