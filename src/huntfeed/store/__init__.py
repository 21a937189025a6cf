"""The store: feeds, feed items, versioned profiles and recorded issues.

SQLite by default, PostgreSQL by URL, one schema through SQLAlchemy Core; Alembic migrations
run on open. Every write that must not be half-done is one transaction.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from huntfeed.errors import StoreError
from huntfeed.model import Entry, Issue, Profile, Severity, Source
from huntfeed.render.json_profile import profile_from_dict, profile_to_dict
from huntfeed.store.schema import entries, feeds, issues, profile_heads, profile_versions

_MIGRATE_LOCK = threading.Lock()


def utcnow() -> datetime:
    """Now, in UTC, timezone-aware."""
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything we write is UTC.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


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


def _entry_to_json(e: Entry) -> str:
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


def _entry_from_json(text: str) -> Entry:
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


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 30})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return sa.create_engine(url, pool_pre_ping=True)


class Store:
    """All persistent state of huntfeed behind one small API."""

    def __init__(self, url: str) -> None:
        self.url = url
        try:
            self.engine = _make_engine(url)
            self._migrate()
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot open store: {exc.__class__.__name__}: {exc}", where=url) from exc

    def _migrate(self) -> None:
        cfg = Config()
        cfg.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
        with _MIGRATE_LOCK, self.engine.begin() as conn:
            if self.engine.dialect.name == "postgresql":
                # Several workers may open the store at once: one migrates, the others wait.
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(727274)"))
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    def close(self) -> None:
        """Release pooled connections."""
        self.engine.dispose()

    # ---- feeds -------------------------------------------------------------------------------

    def add_feed(self, source: Source) -> bool:
        """Follow a feed; an existing one keeps its state and takes the new name/rating. True if new."""
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(feeds.c.url).where(feeds.c.url == source.url)).first()
            values = {"name": source.name, "reliability": source.reliability, "tags": ",".join(source.tags)}
            if row:
                conn.execute(feeds.update().where(feeds.c.url == source.url).values(**values))
                return False
            conn.execute(feeds.insert().values(url=source.url, added_at=utcnow(), **values))
            return True

    def remove_feed(self, url: str) -> bool:
        """Stop following a feed (its profiles stay). True if it was followed."""
        with self.engine.begin() as conn:
            return conn.execute(feeds.delete().where(feeds.c.url == url)).rowcount > 0

    def list_feeds(self) -> list[FeedState]:
        """Every followed feed with its poll state."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(feeds).order_by(feeds.c.name, feeds.c.url)).mappings().all()
        return [self._feed(r) for r in rows]

    def feed_state(self, url: str) -> FeedState | None:
        """One feed's state, or None."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(feeds).where(feeds.c.url == url)).mappings().first()
        return self._feed(row) if row else None

    @staticmethod
    def _feed(r: Any) -> FeedState:
        return FeedState(
            url=r["url"],
            name=r["name"],
            reliability=r["reliability"],
            tags=tuple(t for t in r["tags"].split(",") if t),
            etag=r["etag"],
            last_modified=r["last_modified"],
            body_hash=r["body_hash"],
            added_at=_aware(r["added_at"]) or utcnow(),
            last_polled=_aware(r["last_polled"]),
            last_status=r["last_status"],
            last_error=r["last_error"],
            error_count=r["error_count"],
            retry_after=_aware(r["retry_after"]),
        )

    def record_feed_error(self, url: str, status: str, error: str, retry_after: datetime | None) -> None:
        """Remember a failed poll; the error count drives the back-off."""
        with self.engine.begin() as conn:
            conn.execute(
                feeds.update()
                .where(feeds.c.url == url)
                .values(
                    last_polled=utcnow(),
                    last_status=status,
                    last_error=error[:2000],
                    error_count=feeds.c.error_count + 1,
                    retry_after=retry_after,
                )
            )

    def record_feed_unchanged(self, url: str, status: str) -> None:
        """A poll that found nothing new (304 or same body)."""
        with self.engine.begin() as conn:
            conn.execute(
                feeds.update()
                .where(feeds.c.url == url)
                .values(last_polled=utcnow(), last_status=status, last_error=None, error_count=0, retry_after=None)
            )

    def record_feed_items(
        self,
        url: str,
        *,
        status: str,
        etag: str | None,
        last_modified: str | None,
        body_hash: str,
        items: Sequence[tuple[Entry, str]],
    ) -> list[EntryState]:
        """Store a changed feed's items and its new validators in one transaction.

        Returns the items that need analysis: new ones and ones whose fingerprint changed.
        Writing validators and pending items together is what lets a killed run resume:
        the next poll may get a 304, but the pending items are still there.
        """
        now = utcnow()
        with self.engine.begin() as conn:
            known = {
                r.guid: r
                for r in conn.execute(
                    sa.select(entries.c.guid, entries.c.fingerprint, entries.c.state).where(entries.c.feed_url == url)
                )
            }
            for entry, fp in items:
                old = known.get(entry.guid)
                if old is not None and old.fingerprint == fp and old.state == "done":
                    continue
                values = {
                    "link": entry.link,
                    "title": entry.title,
                    "fingerprint": fp,
                    "entry_json": _entry_to_json(entry),
                    "state": "pending",
                }
                if old is None:
                    conn.execute(entries.insert().values(feed_url=url, guid=entry.guid, first_seen=now, **values))
                else:
                    conn.execute(
                        entries.update()
                        .where(entries.c.feed_url == url, entries.c.guid == entry.guid)
                        .values(**values)
                    )
            conn.execute(
                feeds.update()
                .where(feeds.c.url == url)
                .values(
                    etag=etag,
                    last_modified=last_modified,
                    body_hash=body_hash,
                    last_polled=now,
                    last_status=status,
                    last_error=None,
                    error_count=0,
                    retry_after=None,
                )
            )
        return self.entries(url, states=("pending",))

    def entries(self, feed_url: str | None = None, *, states: Iterable[str] = ("pending",)) -> list[EntryState]:
        """Stored items in the given states, oldest first."""
        q = sa.select(entries).where(entries.c.state.in_(list(states)))
        if feed_url is not None:
            q = q.where(entries.c.feed_url == feed_url)
        with self.engine.connect() as conn:
            rows = conn.execute(q.order_by(entries.c.first_seen, entries.c.guid)).mappings().all()
        return [
            EntryState(
                entry=_entry_from_json(r["entry_json"]),
                fingerprint=r["fingerprint"],
                state=r["state"],
                attempts=r["attempts"],
                profile_id=r["profile_id"],
                text_source=r["text_source"],
                page_etag=r["page_etag"],
                page_last_modified=r["page_last_modified"],
                last_checked=_aware(r["last_checked"]),
            )
            for r in rows
        ]

    def mark_entry(
        self,
        entry: Entry,
        state: str,
        *,
        error: str | None = None,
        profile_id: str | None = None,
        text_source: str | None = None,
        page_etag: str | None = None,
        page_last_modified: str | None = None,
    ) -> None:
        """Record the outcome of analysing one item."""
        values: dict[str, Any] = {
            "state": state,
            "error": error[:2000] if error else None,
            "attempts": entries.c.attempts + 1,
            "last_checked": utcnow(),
        }
        for key, val in (
            ("profile_id", profile_id),
            ("text_source", text_source),
            ("page_etag", page_etag),
            ("page_last_modified", page_last_modified),
        ):
            if val is not None:
                values[key] = val
        with self.engine.begin() as conn:
            conn.execute(
                entries.update()
                .where(entries.c.feed_url == entry.feed_url, entries.c.guid == entry.guid)
                .values(**values)
            )

    # ---- profiles ----------------------------------------------------------------------------

    def save_profile(self, profile: Profile) -> bool:
        """Store a new version (head updated in the same transaction). False if that content exists."""
        doc = json.dumps(profile_to_dict(profile), ensure_ascii=False)
        head = {
            "version": profile.version,
            "title": profile.title,
            "source": profile.source,
            "feed_url": profile.feed_url,
            "url": profile.url,
            "severity": profile.severity.value,
            "severity_rank": profile.severity.rank,
            "published": profile.published,
            "analysed_at": profile.analysed_at,
            "techniques": " ".join(t.id for t in profile.techniques),
            "search": f"{profile.title}\n{profile.summary}\n"
            + " ".join(i.value for i in profile.indicators)
            + " "
            + " ".join(f"{t.id} {t.name}" for t in profile.techniques),
            "n_indicators": len(profile.indicators),
            "n_hunts": len(profile.hunts),
        }
        try:
            with self.engine.begin() as conn:
                dup = conn.execute(
                    sa.select(profile_versions.c.version).where(
                        profile_versions.c.id == profile.id, profile_versions.c.content_hash == profile.content_hash
                    )
                ).first()
                if dup is not None:
                    return False
                conn.execute(
                    profile_versions.insert().values(
                        id=profile.id,
                        version=profile.version,
                        content_hash=profile.content_hash,
                        analysed_at=profile.analysed_at,
                        doc=doc,
                    )
                )
                self._upsert_head(conn, profile.id, head)
        except IntegrityError:
            # A concurrent writer stored the same content or took this version number first.
            return False
        return True

    def _upsert_head(self, conn: Connection, pid: str, head: dict[str, Any]) -> None:
        current = conn.execute(sa.select(profile_heads.c.version).where(profile_heads.c.id == pid)).first()
        if current is None:
            conn.execute(profile_heads.insert().values(id=pid, first_seen=head["analysed_at"], **head))
        elif current.version < head["version"]:
            conn.execute(profile_heads.update().where(profile_heads.c.id == pid).values(**head))

    def get_profile(self, pid: str, version: int | None = None) -> Profile | None:
        """A profile's latest version, or the one asked for."""
        q = sa.select(profile_versions.c.doc).where(profile_versions.c.id == pid)
        q = q.where(profile_versions.c.version == version) if version else q.order_by(profile_versions.c.version.desc())
        with self.engine.connect() as conn:
            row = conn.execute(q.limit(1)).first()
        return profile_from_dict(json.loads(row.doc)) if row else None

    def versions(self, pid: str) -> list[Profile]:
        """Every version of a profile, oldest first."""
        q = sa.select(profile_versions.c.doc).where(profile_versions.c.id == pid).order_by(profile_versions.c.version)
        with self.engine.connect() as conn:
            return [profile_from_dict(json.loads(r.doc)) for r in conn.execute(q)]

    def _filtered(
        self,
        q: Any,
        severity: Severity | None,
        since: datetime | None,
        source: str | None,
        technique: str | None,
        text: str | None,
    ) -> Any:
        h = profile_heads.c
        if severity is not None:
            q = q.where(h.severity_rank >= severity.rank)
        if since is not None:
            q = q.where(h.analysed_at >= since)
        if source:
            q = q.where(sa.or_(h.source == source, h.feed_url == source))
        if technique:
            q = q.where(h.techniques.contains(technique, autoescape=True))
        if text:
            for word in text.split():
                q = q.where(sa.func.lower(h.search).contains(word.lower(), autoescape=True))
        return q

    def list_profiles(
        self,
        *,
        severity: Severity | None = None,
        since: datetime | None = None,
        source: str | None = None,
        technique: str | None = None,
        q: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Profile]:
        """Latest version of each matching profile, newest first."""
        h = profile_heads.c
        query = sa.select(profile_versions.c.doc).join(
            profile_heads, sa.and_(profile_versions.c.id == h.id, profile_versions.c.version == h.version)
        )
        query = self._filtered(query, severity, since, source, technique, q)
        query = query.order_by(h.analysed_at.desc(), h.id).limit(limit).offset(offset)
        with self.engine.connect() as conn:
            return [profile_from_dict(json.loads(r.doc)) for r in conn.execute(query)]

    def count_profiles(
        self,
        *,
        severity: Severity | None = None,
        since: datetime | None = None,
        source: str | None = None,
        technique: str | None = None,
        q: str | None = None,
    ) -> int:
        """How many profiles match the filters."""
        query = self._filtered(
            sa.select(sa.func.count()).select_from(profile_heads), severity, since, source, technique, q
        )
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    # ---- issues ------------------------------------------------------------------------------

    def record_issue(self, issue: Issue) -> None:
        """Keep a problem with one item for `huntfeed feeds list` and the web UI."""
        with self.engine.begin() as conn:
            conn.execute(
                issues.insert().values(at=utcnow(), where=issue.where, stage=issue.stage, message=issue.message[:4000])
            )

    def list_issues(self, limit: int = 100) -> list[Issue]:
        """Most recent recorded problems first."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(issues).order_by(issues.c.n.desc()).limit(limit)).mappings().all()
        return [Issue(where=r["where"], stage=r["stage"], message=r["message"]) for r in rows]
