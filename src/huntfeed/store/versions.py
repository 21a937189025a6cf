"""Writing profile versions, one or many per transaction, with the same guarantees either way.

A batch of profiles costs one lock statement, one read and two multi-row writes instead of a
transaction of four or five statements per profile: what lets a worker store the 25 profiles of
a backfill batch with a handful of round trips.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from huntfeed.model import Profile
from huntfeed.render.json_profile import profile_from_dict, profile_to_dict
from huntfeed.store.engine import lock_keys, upsert
from huntfeed.store.schema import profile_heads, profile_versions

# Called under the profile's lock when another writer stored a version first: gets that
# latest stored version and the profile about to be saved, returns what to save instead.
Rebase = Callable[[Profile, Profile], Profile]

_CHUNK = 500  # ids per IN (...) query


def head_row(profile: Profile) -> dict[str, Any]:
    """The denormalised listing row of a profile's latest version."""
    return {
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
        "affects_us": bool(profile.relevance is not None and profile.relevance.affects_us),
    }


def latest_docs(conn: Connection, ids: Sequence[str]) -> dict[str, Profile]:
    """The latest stored version of each of these profiles that exists (one query per 500 ids)."""
    pv, h = profile_versions.c, profile_heads.c
    out: dict[str, Profile] = {}
    unique = list(dict.fromkeys(ids))
    for i in range(0, len(unique), _CHUNK):
        q = (sa.select(pv.id, pv.doc)
             .join(profile_heads, sa.and_(pv.id == h.id, pv.version == h.version))
             .where(pv.id.in_(unique[i : i + _CHUNK])))
        for row in conn.execute(q):
            out[row.id] = profile_from_dict(json.loads(row.doc))
    return out


def save_versions(conn: Connection, profiles: Sequence[Profile], rebase: Rebase | None) -> list[Profile | None]:
    """Store each profile as a new version inside ``conn``'s transaction; None where that content exists.

    Writers of one profile are serialised by a lock per profile id taken for the whole
    transaction, so two workers never store two versions under one number or the same content
    twice. A profile built on a version that is no longer the latest (another writer, or an
    earlier profile of this batch, went first) is renumbered after it, and ``rebase`` may
    recompute its changes against it.
    """
    if not profiles:
        return []
    ids = list(dict.fromkeys(p.id for p in profiles))
    lock_keys(conn, [f"profile:{pid}" for pid in ids])
    pv = profile_versions.c
    latest: dict[str, int] = {}
    hashes: set[tuple[str, str]] = set()
    for i in range(0, len(ids), _CHUNK):
        rows = conn.execute(sa.select(pv.id, pv.version, pv.content_hash).where(pv.id.in_(ids[i : i + _CHUNK])))
        for pid, version, content_hash in rows:
            latest[pid] = max(version, latest.get(pid, 0))
            hashes.add((pid, content_hash))
    saved_here: dict[str, Profile] = {}  # the latest version this batch stores, for rebasing the next one
    out: list[Profile | None] = []
    for profile in profiles:
        if (profile.id, profile.content_hash) in hashes:
            out.append(None)
            continue
        top = latest.get(profile.id)
        if top is not None and top != profile.version - 1:
            stored = saved_here.get(profile.id) or _version(conn, profile.id, top)
            profile = rebase(stored, profile) if rebase else profile
            if profile.version != top + 1:
                profile = replace(profile, version=top + 1)
        elif top is None and profile.version != 1:
            profile = replace(profile, version=1, changes=())
        latest[profile.id] = profile.version
        hashes.add((profile.id, profile.content_hash))
        saved_here[profile.id] = profile
        out.append(profile)
    stored_now = [p for p in out if p is not None]
    if stored_now:
        conn.execute(profile_versions.insert(), [
            {"id": p.id, "version": p.version, "content_hash": p.content_hash, "analysed_at": p.analysed_at,
             "doc": json.dumps(profile_to_dict(p), ensure_ascii=False)} for p in stored_now
        ])
        # One head row per profile (the batch's newest); only a newer version replaces a stored head.
        heads = [{"id": p.id, "first_seen": p.analysed_at, **head_row(p)} for p in saved_here.values()]
        stmt = upsert(conn, profile_heads)
        changed = {k: stmt.excluded[k] for k in heads[0] if k not in ("id", "first_seen")}
        conn.execute(stmt.on_conflict_do_update(index_elements=[profile_heads.c.id], set_=changed,
                                                where=profile_heads.c.version < stmt.excluded.version), heads)
    return out


def _version(conn: Connection, pid: str, version: int) -> Profile:
    doc = conn.execute(sa.select(profile_versions.c.doc).where(profile_versions.c.id == pid,
                                                                profile_versions.c.version == version)).scalar_one()
    return profile_from_dict(json.loads(doc))
