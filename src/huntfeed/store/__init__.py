"""The store: feeds, feed items, versioned profiles and recorded issues.

SQLite by default, PostgreSQL by URL, one schema through SQLAlchemy Core; Alembic migrations
run on open. Every write that must not be half-done is one transaction.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from huntfeed.errors import StoreError
from huntfeed.model import Entry, Issue, Profile, Severity, Source, as_utc_or_none
from huntfeed.render.json_profile import profile_from_dict
from huntfeed.store.backfill import BackfillMark, BackfillMixin, BackfillState
from huntfeed.store.engine import describe, make_engine, safe_url, store_errors, upsert, write_tx
from huntfeed.store.feedback import FeedbackMixin
from huntfeed.store.records import EntryState, FeedState, entry_from_json, entry_to_json
from huntfeed.store.schema import clean_text, entries, feeds, issues, profile_heads, profile_versions
from huntfeed.store.sharing import SharingMixin
from huntfeed.store.stories import StoryMixin
from huntfeed.store.versions import Rebase, latest_docs, save_versions

__all__ = ["BackfillMark", "BackfillState", "EntryState", "FeedState", "Rebase", "Store", "utcnow"]

_MIGRATE_LOCK = threading.Lock()


def utcnow() -> datetime:
    """Now, in UTC, timezone-aware."""
    return datetime.now(UTC)


_aware = as_utc_or_none  # SQLite hands back naive datetimes; everything we write is UTC


def _require_existing(url: str) -> None:
    # A read-only command (list, show, export) must never leave an empty store, or a folder, behind
    # a typo: `profiles list --db sqlite:////no/such/dir/x.db` used to create both and exit 0.
    if not url.startswith("sqlite"):
        return
    path = url.split("///", 1)[-1].split("?", 1)[0]
    if path and path != ":memory:" and not Path(path).is_file():
        raise StoreError("no store here (run `huntfeed run` or `huntfeed feeds add` first, or check --db)",
                         where=safe_url(url))


@store_errors
class Store(BackfillMixin, FeedbackMixin, SharingMixin, StoryMixin):
    """All persistent state of huntfeed behind one small API.

    Every public method raises StoreError for a database failure; text is stored with NUL and
    lone surrogates replaced (see ``schema.CleanText``), the same on SQLite and PostgreSQL.
    """

    def __init__(self, url: str, *, create: bool = True) -> None:
        """Open (and migrate) the store; with ``create=False`` a SQLite file that does not exist is an error."""
        self.url = url
        if not create:
            _require_existing(url)
        try:
            self.engine = make_engine(url)
            self._migrate()
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot open store: {describe(exc)}", where=safe_url(url)) from exc

    def _migrate(self) -> None:
        cfg = Config()
        cfg.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
        with _MIGRATE_LOCK, write_tx(self.engine) as conn:
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
        values = {"name": source.name, "reliability": source.reliability, "tags": ",".join(source.tags)}
        with write_tx(self.engine) as conn:
            known = conn.execute(sa.select(feeds.c.url).where(feeds.c.url == source.url)).first() is not None
            # An upsert, so two processes adding the same feed at once both succeed.
            stmt = upsert(conn, feeds).values(url=source.url, added_at=utcnow(), **values)
            conn.execute(stmt.on_conflict_do_update(index_elements=[feeds.c.url], set_=values))
            return not known

    def remove_feed(self, url: str) -> bool:
        """Stop following a feed (its profiles stay). True if it was followed."""
        with write_tx(self.engine) as conn:
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
        with write_tx(self.engine) as conn:
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
        with write_tx(self.engine) as conn:
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
        rows = [
            {
                "feed_url": url,
                "guid": entry.guid,
                "link": entry.link,
                "title": entry.title,
                "fingerprint": fp,
                "entry_json": entry_to_json(entry),
                "state": "pending",
                "first_seen": now,
            }
            for entry, fp in {e.guid: (e, fp) for e, fp in items}.values()
        ]
        with write_tx(self.engine) as conn:
            if rows:
                # One idempotent upsert: an item already done with this fingerprint is left alone,
                # anything new or changed becomes pending, whoever polls the feed concurrently.
                stmt = upsert(conn, entries)
                changed: dict[str, Any] = {
                    k: stmt.excluded[k] for k in ("link", "title", "fingerprint", "entry_json", "state")}
                # A changed item is new work: its retry budget starts again (it used to stay spent for ever).
                changed["attempts"] = sa.case((entries.c.fingerprint == stmt.excluded.fingerprint, entries.c.attempts),
                                              else_=0)
                unchanged_done = sa.and_(entries.c.fingerprint == stmt.excluded.fingerprint, entries.c.state == "done")
                stmt = stmt.on_conflict_do_update(
                    index_elements=[entries.c.feed_url, entries.c.guid], set_=changed, where=sa.not_(unchanged_done)
                )
                conn.execute(stmt, rows)
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
        return [self._entry(r) for r in rows]

    def entry_state(self, feed_url: str, guid: str) -> EntryState | None:
        """One stored feed item, or None."""
        q = sa.select(entries).where(entries.c.feed_url == feed_url, entries.c.guid == guid)
        with self.engine.connect() as conn:
            row = conn.execute(q).mappings().first()
        return self._entry(row) if row else None

    @staticmethod
    def _entry(r: Any) -> EntryState:
        return EntryState(
            entry=entry_from_json(r["entry_json"]),
            fingerprint=r["fingerprint"],
            state=r["state"],
            attempts=r["attempts"],
            profile_id=r["profile_id"],
            text_source=r["text_source"],
            page_etag=r["page_etag"],
            page_last_modified=r["page_last_modified"],
            last_checked=_aware(r["last_checked"]),
        )

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
            # Attempts count failures in a row: a success ends the series.
            "attempts": entries.c.attempts + 1 if state == "failed" else 0,
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
        with write_tx(self.engine) as conn:
            conn.execute(
                entries.update()
                .where(entries.c.feed_url == entry.feed_url, entries.c.guid == entry.guid)
                .values(**values)
            )

    # ---- profiles ----------------------------------------------------------------------------

    def save_profile(self, profile: Profile, *, rebase: Rebase | None = None) -> bool:
        """Store a new version (head updated in the same transaction). False if that content exists.

        Writers of one profile are serialised (an advisory lock on PostgreSQL, the write lock
        on SQLite), so concurrent workers never store two versions under one number. A writer
        whose profile was built on a now-stale latest version is renumbered after the stored
        one; ``rebase`` (given the stored latest and the profile) may also recompute its changes.
        """
        return self.save_profiles([profile], rebase=rebase)[0] is not None

    def save_profiles(self, profiles: Sequence[Profile], *, rebase: Rebase | None = None,
                      backfill: Sequence[BackfillMark] = ()) -> list[Profile | None]:
        """Store many profiles (and backfill outcomes) in one transaction, as ``save_profile`` would each.

        Returns, per profile, the version stored (renumbered if another writer went first) or
        None where that content was stored already.
        """
        try:
            with write_tx(self.engine) as conn:
                stored = save_versions(conn, profiles, rebase)
                self._mark_backfill_many(conn, backfill)
        except IntegrityError:
            # Only reachable by a writer that ignores the lock (an older huntfeed): the same
            # content or version number went in first. Retry one by one, so each profile
            # gets the outcome it would have had alone.
            if len(profiles) == 1:
                return [None]
            out = [self.save_profiles([p], rebase=rebase)[0] for p in profiles]
            if backfill:
                self.save_profiles([], backfill=backfill)
            return out
        return stored

    def latest_profiles(self, ids: Iterable[str]) -> dict[str, Profile]:
        """The latest version of each of these profiles that is stored, by id (one query)."""
        with self.engine.connect() as conn:
            return latest_docs(conn, list(ids))

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
        affects_us: bool = False,
    ) -> Any:
        h = profile_heads.c
        if affects_us:
            q = q.where(h.affects_us.is_(True))
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
                q = q.where(sa.func.lower(h.search).contains(clean_text(word.lower()), autoescape=True))
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
        affects_us: bool = False,
        order: str = "analysed",
    ) -> list[Profile]:
        """Latest version of each matching profile, newest first.

        ``order``: ``analysed`` (latest analysis first), ``published`` (publication date, undated
        last) or ``severity`` (most severe first, then by publication date).
        """
        h = profile_heads.c
        query = sa.select(profile_versions.c.doc).join(
            profile_heads, sa.and_(profile_versions.c.id == h.id, profile_versions.c.version == h.version)
        )
        query = self._filtered(query, severity, since, source, technique, q, affects_us)
        published = sa.func.coalesce(h.published, h.analysed_at).desc()
        keys = {"analysed": (h.analysed_at.desc(),), "published": (published, h.analysed_at.desc()),
                "severity": (h.severity_rank.desc(), published)}[order]
        query = query.order_by(*keys, h.id).limit(limit).offset(offset)
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
        affects_us: bool = False,
    ) -> int:
        """How many profiles match the filters."""
        query = self._filtered(
            sa.select(sa.func.count()).select_from(profile_heads), severity, since, source, technique, q, affects_us
        )
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    # ---- issues ------------------------------------------------------------------------------

    def record_issue(self, issue: Issue) -> None:
        """Keep a problem with one item for `huntfeed feeds list` and the web UI."""
        with write_tx(self.engine) as conn:
            conn.execute(
                issues.insert().values(at=utcnow(), where=issue.where, stage=issue.stage, message=issue.message[:4000])
            )

    def list_issues(self, limit: int = 100, *, since: datetime | None = None) -> list[Issue]:
        """Most recent recorded problems first (only those recorded at or after ``since`` if given)."""
        q = sa.select(issues)
        if since is not None:
            q = q.where(issues.c.at >= since)
        with self.engine.connect() as conn:
            rows = conn.execute(q.order_by(issues.c.n.desc()).limit(limit)).mappings().all()
        return [Issue(where=r["where"], stage=r["stage"], message=r["message"]) for r in rows]
