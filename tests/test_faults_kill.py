"""`huntfeed run` SIGKILLed at random points, again and again: the final run loses and duplicates nothing.

The kill points are drawn from a seeded RNG (printed; set HUNTFEED_KILL_SEED to replay) and
land during page fetches, analyses, store transactions and file writes, because each kill
waits for a given number of page hits and then a random extra moment.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from huntfeed.model import Source
from huntfeed.store import Store
from tests.hostile.corpus import feed_reply, good_page, item, page_reply, rss
from tests.httpserver import LoopbackServer, Reply

pytestmark = [pytest.mark.hostile, pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(420)]

N_ITEMS = 30
UPDATED = range(5)  # items the publisher changes after the second kill
ROOT = Path(__file__).resolve().parents[1]


def _page(i: int, updated: bool) -> bytes:
    tag = "updated" if updated else "first"
    return good_page(f"Report {i} ({tag}) via 198.51.100.{i} and evil{i}[.]example")


def _feed(updated: bool, base: str) -> bytes:
    items = "".join(
        item(f"k{i}", title=f"item {i}" + (" (updated)" if updated and i in UPDATED else ""),
             link=f"{base}/p/{i}")
        for i in range(N_ITEMS))
    return rss(items, title="kill feed")


def test_sigkill_mid_run_repeatedly_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    seed = int(os.environ.get("HUNTFEED_KILL_SEED") or random.randrange(1 << 30))
    print(f"kill seed {seed}")
    rng = random.Random(seed)
    hits = {"pages": 0}
    updated = {"on": False}

    def page_route(i: int) -> Any:
        def route(_handler: Any) -> Reply:
            hits["pages"] += 1
            time.sleep(0.03)  # spreads the run out so the kills land inside it
            return page_reply(_page(i, updated["on"] and i in UPDATED))

        return route

    db = f"sqlite:///{tmp_path / 'kill.db'}"
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
           "HUNTFEED_HOME": str(tmp_path / "home"), "HUNTFEED_DB": ""}
    with LoopbackServer() as http:
        for i in range(N_ITEMS):
            http.routes[f"/p/{i}"] = page_route(i)
        http.routes["/feed.xml"] = lambda _h: feed_reply(_feed(updated["on"], http.base))
        Store(db).add_feed(Source(url=http.url("/feed.xml"), name="kill feed"))
        cmd = [sys.executable, "-m", "huntfeed", "run", "--db", db, "--allow-host", http.host, "--out", str(out),
               "--force", "--json"]
        kills = 0
        for round_ in range(3):
            target = hits["pages"] + rng.randint(1, 6)
            log = (tmp_path / f"run{round_}.log").open("w")
            proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)
            while proc.poll() is None and hits["pages"] < target:
                time.sleep(0.01)
            time.sleep(rng.uniform(0, 0.25))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                kills += 1
            proc.wait()
            log.close()
            if round_ == 1:
                updated["on"] = True
        assert kills >= 3, "the run finished before it could be killed"
        final = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert final.returncode == 0, final.stdout + final.stderr

    store = Store(db)
    assert not store.entries(states=("pending", "failed")), "every item finished"
    with store.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, version, content_hash FROM profile_versions ORDER BY id, version")).all()
    versions: dict[str, list[tuple[int, str]]] = {}
    for pid, version, content_hash in rows:
        versions.setdefault(pid, []).append((version, content_hash))
    assert len(versions) == N_ITEMS, "one profile per item: none lost, none doubled"
    for pid, vs in versions.items():
        assert [v for v, _ in vs] == list(range(1, len(vs) + 1)), f"{pid}: versions not contiguous {vs}"
        assert len({h for _, h in vs}) == len(vs), f"{pid}: a version stored twice"
        assert len(vs) <= 2
    latest = {p.title: p for p in store.list_profiles(limit=1000)}
    for i in range(N_ITEMS):
        title = f"item {i}" + (" (updated)" if i in UPDATED else "")
        assert title in latest, f"latest version of item {i} missing"
    for p in latest.values():
        doc = json.loads((out / f"{p.id}.json").read_text("utf-8"))
        assert doc["version"] == p.version and (out / f"{p.id}.md").is_file(), f"{p.id}: file lost or stale"
    assert {f.name for f in out.iterdir()} == {f"{pid}.{ext}" for pid in versions for ext in ("md", "json")}, \
        "a temporary file of a killed write was left behind"
