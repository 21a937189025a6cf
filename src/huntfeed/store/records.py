"""What the store hands back: feed and entry states, and the entry's JSON form."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from huntfeed.model import Entry, Source


@dataclass(frozen=True, slots=True)
class FeedState:
    """A followed feed and what its last poll did."""

    url: str
    name: str
    reliability: str
    tags: tuple[str, ...]
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    added_at: datetime
    last_polled: datetime | None
    last_status: str | None
    last_error: str | None
    error_count: int
    retry_after: datetime | None

    @property
    def source(self) -> Source:
        return Source(url=self.url, name=self.name, reliability=self.reliability, tags=self.tags)


@dataclass(frozen=True, slots=True)
class EntryState:
    """A feed item as stored: the entry itself and where its analysis stands."""

    entry: Entry
    fingerprint: str
    state: str
    attempts: int
    profile_id: str | None
    text_source: str | None
    page_etag: str | None
    page_last_modified: str | None
    last_checked: datetime | None


def entry_to_json(e: Entry) -> str:
    """An entry as stored in the entries table."""
    return json.dumps(
        {
            "feed_url": e.feed_url,
            "guid": e.guid,
            "title": e.title,
            "link": e.link,
            "published": e.published.isoformat() if e.published else None,
            "summary": e.summary,
            "content": e.content,
            "source_name": e.source_name,
        }
    )


def entry_from_json(text: str) -> Entry:
    """The entry back from its stored JSON."""
    d = json.loads(text)
    return Entry(
        feed_url=d["feed_url"],
        guid=d["guid"],
        title=d["title"],
        link=d["link"],
        published=datetime.fromisoformat(d["published"]) if d.get("published") else None,
        summary=d.get("summary", ""),
        content=d.get("content", ""),
        source_name=d.get("source_name", ""),
    )
