"""Feed parsing with feedparser: RSS 0.9x/1.0/2.0 and Atom into Entry records."""

from __future__ import annotations

import calendar
import hashlib
import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import feedparser

from huntfeed.errors import ParseError
from huntfeed.model import Entry

# A feed with more items than this is cut: nobody publishes that many at once, an attacker might.
MAX_ITEMS = 5000
_TAG = re.compile(r"<[^>]{0,2000}>")
_SPACE = re.compile(r"[ \t\r\f\v]+")


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A feed's title and its entries (newest first, as published)."""

    title: str
    link: str
    entries: tuple[Entry, ...]
    truncated: bool = False


def strip_html(fragment: str) -> str:
    """Plain text of a small HTML fragment (feed summaries); block tags become line breaks."""
    text = re.sub(r"(?i)<\s*(br|/p|/div|/li|/h[1-6]|/tr)\b[^>]{0,200}>", "\n", fragment)
    text = html.unescape(_TAG.sub(" ", text))
    lines = (_SPACE.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _when(item: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = item.get(key)
        if value:
            try:
                when = datetime.fromtimestamp(calendar.timegm(value), UTC)
            except (OverflowError, ValueError, OSError):
                continue
            # Dates far in the future are typos or tricks; they would pin an item to the top for ever.
            return None if when > datetime.now(UTC) + timedelta(days=2) else when
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
    parsed = feedparser.parse(content, sanitize_html=True, resolve_relative_uris=True)
    usable = [i for i in parsed.entries if i.get("link") or i.get("title") or i.get("summary")]
    if parsed.get("bozo") and not usable:
        exc = parsed.get("bozo_exception")
        raise ParseError(f"not a readable feed: {exc.__class__.__name__}: {exc}", where=feed_url)
    if not usable and not parsed.feed.get("title"):
        raise ParseError("no feed items and no feed title: not a feed", where=feed_url)
    title = str(parsed.feed.get("title", "") or source_name)
    seen: set[str] = set()
    entries: list[Entry] = []
    for item in usable[:MAX_ITEMS]:
        link = str(item.get("link") or "")
        guid = str(item.get("id") or link or hashlib.sha256(str(item.get("title", "")).encode()).hexdigest())
        if guid in seen:  # duplicate GUIDs: the first one wins
            continue
        seen.add(guid)
        entries.append(
            Entry(
                feed_url=feed_url,
                guid=guid[:2000],
                title=strip_html(str(item.get("title", "")))[:500] or "(untitled)",
                link=link[:4000],
                published=_when(item),
                summary=strip_html(str(item.get("summary", "")))[:20000],
                content=_content(item)[:2_000_000],
                source_name=source_name or title,
            )
        )
    return ParsedFeed(title=title, link=str(parsed.feed.get("link", "")), entries=tuple(entries),
                      truncated=len(usable) > MAX_ITEMS)


def fingerprint(entry: Entry) -> str:
    """What makes an item "changed": title, link, summary, content and date."""
    h = hashlib.sha256()
    for part in (entry.title, entry.link, entry.summary, entry.content,
                 entry.published.isoformat() if entry.published else ""):
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()
