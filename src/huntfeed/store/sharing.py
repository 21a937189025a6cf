"""Reads for sharing out (the TAXII server): profiles in the order they were added, after a cursor."""

from __future__ import annotations

import json
from datetime import datetime

import sqlalchemy as sa

from huntfeed.model import Profile
from huntfeed.render.json_profile import profile_from_dict
from huntfeed.store.engine import store_errors
from huntfeed.store.schema import profile_heads, profile_versions


@store_errors
class SharingMixin:
    """Store methods for TAXII paging; mixed into ``huntfeed.store.Store``."""

    engine: sa.Engine

    def profiles_added_after(self, after: datetime | None, after_id: str = "", *, limit: int = 50) -> list[Profile]:
        """Latest version of each profile whose head is later than (``after``, ``after_id``), oldest first.

        The order (analysed_at, id) is total, so a cursor made of the last profile's pair pages
        through every profile exactly once, whatever is added meanwhile (a newer version moves
        its profile to the end, where a client that keeps paging finds it again).
        """
        h, pv = profile_heads.c, profile_versions.c
        q = sa.select(pv.doc).join(profile_heads, sa.and_(pv.id == h.id, pv.version == h.version))
        if after is not None:
            q = q.where(sa.or_(h.analysed_at > after, sa.and_(h.analysed_at == after, h.id > after_id)))
        q = q.order_by(h.analysed_at, h.id).limit(limit)
        with self.engine.connect() as conn:
            return [profile_from_dict(json.loads(r.doc)) for r in conn.execute(q)]
