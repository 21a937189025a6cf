"""Feedback in the distributed mode: Celery workers read the analysts' rules from the same PostgreSQL store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from huntfeed.environment.feedback import REASON, make_rule
from huntfeed.model import Fidelity
from tests.pg import PostgresServer, pg_server  # noqa: F401 - fixture
from tests.redis_fixture import redis_server  # noqa: F401 - fixture
from tests.test_celery import workers  # noqa: F401 - fixture

pytestmark = [pytest.mark.celery, pytest.mark.postgres, pytest.mark.slow, pytest.mark.xdist_group("scale")]

TEXT = ("The intruders ran powershell.exe -EncodedCommand on the file server and beaconed every minute to "
        "45.137.21[.]9 on port 443; exfiltration went to 91.219.236[.]18 over HTTPS. Report {n}.")


def test_workers_apply_the_store_feedback(workers: Any, pg_server: PostgresServer,  # noqa: F811
                                          tmp_path: Path) -> None:
    from huntfeed.distributed.dispatch import dispatch_backfill
    from huntfeed.store import Store

    db_url = pg_server.create_database()
    store = Store(db_url)
    store.add_feedback(make_rule("false-positive", "45.137.21.9", type="ipv4", reason="our own egress proxy"))
    archive = tmp_path / "docs.jsonl"
    archive.write_text("".join(json.dumps({"id": f"d{n}", "title": f"Report {n}", "text": TEXT.format(n=n)}) + "\n"
                               for n in range(4)), encoding="utf-8")
    report = dispatch_backfill(db_url, archive, batch=2, timeout=120)
    assert (report.done, report.failed) == (4, 0)
    profiles = store.list_profiles(limit=10)
    assert len(profiles) == 4
    for p in profiles:
        values = {i.value: (i.fidelity, i.reason) for i in p.indicators}
        assert values["45.137.21.9"] == (Fidelity.LOW, REASON)
        assert values["91.219.236.18"][0] is Fidelity.HIGH
