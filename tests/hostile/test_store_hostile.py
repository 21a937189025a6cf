"""The store with what strangers' text may still carry: PostgreSQL refuses NUL in text columns."""

from __future__ import annotations

from dataclasses import replace

import pytest

from huntfeed.model import Issue, Source
from huntfeed.store import Store
from tests.fixtures_profiles import apt_profile_v2
from tests.pg import pg_server, pg_url  # noqa: F401 - fixtures

pytestmark = [pytest.mark.hostile, pytest.mark.postgres, pytest.mark.xdist_group("scale")]


@pytest.mark.xfail(reason="reported to the store owner: PostgreSQL rejects NUL in text columns and the store "
                          "neither strips it nor raises StoreError (feeds and pages are cleaned before the "
                          "store; documents and issues from other paths are not)", strict=False)
def test_postgres_store_accepts_or_cleans_nul(pg_url: str) -> None:  # noqa: F811
    store = Store(pg_url)
    store.add_feed(Source(url="http://x.example/f", name="n\x00"))
    store.record_issue(Issue("http://x.example/\x00", "feed", "m\x00"))
    assert store.save_profile(replace(apt_profile_v2(), title="a\x00b", summary="x\x00y"))
