"""Store methods for stories (near-duplicate publications) and campaign links; mixed into ``Store``.

Both are served by indexes: a new article's candidates come from its LSH band keys
(``story_bands``), a new profile's link candidates from its keys (``profile_keys``): look-ups
whose cost grows with the number of matches, not with the number of stored profiles.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from huntfeed.model import as_utc_or_none
from huntfeed.store.engine import store_errors, upsert, write_tx
from huntfeed.store.story_tables import campaign_links, profile_keys, story_bands, story_members

_CHUNK = 200  # key pairs per query: under every driver's parameter limit


@dataclass(frozen=True, slots=True)
class StoryMember:
    """One publication recorded under a story."""

    member_id: str
    story_id: str
    url: str
    source: str
    title: str
    published: datetime | None
    text_chars: int
    text_hash: str
    signature: str
    n_shingles: int
    similarity: float = 1.0


@dataclass(frozen=True, slots=True)
class Link:
    """Two profiles linked by a campaign rule, with the reason in words."""

    a: str
    b: str
    rule: str
    reason: str


def _lock_key(band: tuple[int, str]) -> int:
    # A signed 64-bit number, as pg_advisory_lock takes, from the band's number and hash.
    digest = hashlib.blake2b(f"huntfeed-story|{band[0]}|{band[1]}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


_aware = as_utc_or_none


def _member(r: sa.RowMapping) -> StoryMember:
    return StoryMember(r["member_id"], r["story_id"], r["url"], r["source"], r["title"], _aware(r["published"]),
                       r["text_chars"], r["text_hash"], r["signature"], r["n_shingles"], r["similarity"])


@store_errors
class StoryMixin:
    """Stories and campaign links."""

    engine: sa.Engine

    @contextmanager
    def story_lock(self, bands: Sequence[tuple[int, str]]) -> Iterator[None]:
        """Hold these band keys (PostgreSQL advisory locks, taken in order) until the block ends.

        Workers run in parallel only on PostgreSQL; on SQLite a local run places items one at a
        time and the database has one writer, so there is nothing to hold.
        """
        if self.engine.dialect.name != "postgresql" or not bands:
            yield
            return
        keys = sorted({_lock_key(b) for b in bands})  # one order for everyone: no deadlock
        with self.engine.connect() as conn:
            for key in keys:
                conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": key})
            try:
                yield
            finally:
                for key in keys:
                    conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})

    def story_candidates(self, bands: Sequence[tuple[int, str]], exclude: str = "") -> list[StoryMember]:
        """Members sharing at least one LSH band key with ``bands`` (one indexed query)."""
        if not bands:
            return []
        sb, sm = story_bands.c, story_members.c
        # OR of equalities, not a row-value IN: SQLite answers each term from the primary-key index
        # (a row-value IN made it scan the table), PostgreSQL with a bitmap OR of index scans.
        match = sa.or_(*(sa.and_(sb.band == b, sb.bucket == k) for b, k in dict.fromkeys(bands)))
        hit = sa.select(sb.member_id).where(match).distinct()
        q = sa.select(story_members).where(sm.member_id.in_(hit), sm.member_id != exclude)
        with self.engine.connect() as conn:
            return [_member(r) for r in conn.execute(q).mappings()]

    def story_member(self, member_id: str) -> StoryMember | None:
        """One recorded publication, or None."""
        with self.engine.connect() as conn:
            q = sa.select(story_members).where(story_members.c.member_id == member_id)
            row = conn.execute(q).mappings().first()
        return _member(row) if row else None

    def story_sources(self, story_id: str) -> list[StoryMember]:
        """Every publication of a story, first recorded first."""
        sm = story_members.c
        q = sa.select(story_members).where(sm.story_id == story_id).order_by(sm.added_at, sm.member_id)
        with self.engine.connect() as conn:
            return [_member(r) for r in conn.execute(q).mappings()]

    def record_story_member(self, m: StoryMember, bands: Sequence[tuple[int, str]], *,
                            move_story: str = "") -> None:
        """Store (or replace) a publication and its band keys in one transaction.

        ``move_story``: a story whose members now belong to ``m.story_id`` (the fuller text became
        the story's profile under the old id, so nothing moves; kept for the rare merge of two stories).
        """
        row = {"member_id": m.member_id, "story_id": m.story_id, "url": m.url, "source": m.source,
               "title": m.title, "published": m.published, "text_chars": m.text_chars, "text_hash": m.text_hash,
               "signature": m.signature, "n_shingles": m.n_shingles, "similarity": m.similarity,
               "added_at": datetime.now(UTC)}
        with write_tx(self.engine) as conn:
            stmt = upsert(conn, story_members).values(**row)
            keep = {k: stmt.excluded[k] for k in row if k not in ("member_id", "added_at")}
            conn.execute(stmt.on_conflict_do_update(index_elements=[story_members.c.member_id], set_=keep))
            if move_story:
                conn.execute(story_members.update().where(story_members.c.story_id == move_story)
                             .values(story_id=m.story_id))
            conn.execute(story_bands.delete().where(story_bands.c.member_id == m.member_id))
            if bands:
                conn.execute(story_bands.insert(), [{"band": b, "bucket": k, "member_id": m.member_id}
                                                    for b, k in dict.fromkeys(bands)])

    # ---- campaign keys and links -----------------------------------------------------------------

    def set_profile_keys(self, profile_id: str, keys: Iterable[tuple[str, str]]) -> None:
        """Replace the linking keys of a profile (kind, key)."""
        rows = [{"kind": k, "key": v, "profile_id": profile_id} for k, v in dict.fromkeys(keys)]
        with write_tx(self.engine) as conn:
            conn.execute(profile_keys.delete().where(profile_keys.c.profile_id == profile_id))
            if rows:
                conn.execute(profile_keys.insert(), rows)

    def profiles_sharing(self, keys: Sequence[tuple[str, str]], exclude: str = "") -> dict[str, set[tuple[str, str]]]:
        """Other profiles holding any of ``keys``, with the keys they share (indexed look-ups)."""
        pk = profile_keys.c
        out: dict[str, set[tuple[str, str]]] = {}
        unique = list(dict.fromkeys(keys))
        with self.engine.connect() as conn:
            for i in range(0, len(unique), _CHUNK):
                part = unique[i : i + _CHUNK]
                wanted = set(part)
                q = sa.select(pk.kind, pk.key, pk.profile_id).where(pk.key.in_([v for _, v in part]),
                                                                    pk.profile_id != exclude)
                for kind, key, pid in conn.execute(q):
                    if (kind, key) in wanted:
                        out.setdefault(pid, set()).add((kind, key))
        return out

    def profile_key_set(self, profile_id: str) -> set[tuple[str, str]]:
        """The keys stored for one profile."""
        pk = profile_keys.c
        with self.engine.connect() as conn:
            return {(k, v) for k, v in conn.execute(sa.select(pk.kind, pk.key).where(pk.profile_id == profile_id))}

    def replace_links(self, profile_id: str, links: Sequence[Link]) -> None:
        """The links of ``profile_id`` are now exactly ``links`` (ordered pairs a < b)."""
        cl = campaign_links.c
        now = datetime.now(UTC)
        with write_tx(self.engine) as conn:
            conn.execute(campaign_links.delete().where(sa.or_(cl.a == profile_id, cl.b == profile_id)))
            if links:
                conn.execute(campaign_links.insert(), [
                    {"a": x.a, "b": x.b, "rule": x.rule, "reason": x.reason, "at": now} for x in links])

    def links_touching(self, ids: Sequence[str]) -> list[Link]:
        """Links with either end in ``ids``."""
        cl = campaign_links.c
        out: list[Link] = []
        unique = list(dict.fromkeys(ids))
        with self.engine.connect() as conn:
            for i in range(0, len(unique), _CHUNK):
                part = unique[i : i + _CHUNK]
                q = sa.select(campaign_links).where(sa.or_(cl.a.in_(part), cl.b.in_(part)))
                out += [Link(r.a, r.b, r.rule, r.reason) for r in conn.execute(q)]
        return list(dict.fromkeys(out))

    def all_links(self) -> list[Link]:
        """Every campaign link (campaign listing reads the link graph, not the profiles)."""
        with self.engine.connect() as conn:
            return [Link(r.a, r.b, r.rule, r.reason) for r in conn.execute(sa.select(campaign_links))]
