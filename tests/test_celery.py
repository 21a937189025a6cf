"""The distributed mode end to end: real Redis, two real Celery worker processes, real PostgreSQL.

The demo corpus (served on loopback) goes through the local Runner into SQLite and through
the workers into PostgreSQL, for the first look and for the publisher's update; the stored
profiles must be the same. So must a backfill's.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from huntfeed.feeds.fetch import Fetcher, FetchSettings
from huntfeed.feeds.opml import parse_opml
from huntfeed.model import Profile
from tests.pg import PostgresServer, free_port, pg_server  # noqa: F401 - fixture
from tests.redis_fixture import demo_kev, redis_server, start_workers, stop_workers, wait_ready  # noqa: F401
from tests.redis_server import RedisServer

pytestmark = [pytest.mark.celery, pytest.mark.postgres, pytest.mark.slow, pytest.mark.xdist_group("scale")]


def essence(p: Profile) -> dict[str, Any]:
    """What must agree between modes: everything but timestamps."""
    return {
        "id": p.id,
        "version": p.version,
        "title": p.title,
        "source": p.source,
        "url": p.url,
        "text_source": p.text_source.value,
        "content_hash": p.content_hash,
        "severity": p.severity.value,
        "reasons": list(p.score.reasons),
        "indicators": sorted((i.type.value, i.value, i.fidelity.value) for i in p.indicators),
        "techniques": sorted(t.id for t in p.techniques),
        "associated": sorted(t.id for t in p.inference.associated),
        "hunts": sorted((h.use_case, h.title, h.kind) for h in p.hunts),
        "changes": [(c.kind, c.detail) for c in p.changes],
    }


def snapshot(store: Any) -> dict[str, list[dict[str, Any]]]:
    """Every version of every stored profile, by id."""
    heads = store.list_profiles(limit=10_000)
    return {p.id: [essence(v) for v in store.versions(p.id)] for p in heads}


# Which publication of a story workers reach first decides its profile id, title and version
# history (two feeds are polled at once); what the story says must not depend on it.
_OWNER_FIELDS = ("id", "version", "title", "source", "url", "text_source", "content_hash", "reasons", "changes")


def by_story(store: Any) -> dict[frozenset[str], dict[str, Any]]:
    """Single publications exactly as ``snapshot``; a story of several by its publications and content."""
    out: dict[frozenset[str], dict[str, Any]] = {}
    for p in store.list_profiles(limit=10_000):
        urls = frozenset({p.url, *(s.url for s in p.sources)})
        if len(urls) == 1:
            out[urls] = {"versions": [essence(v) for v in store.versions(p.id)]}
        else:
            out[urls] = {k: v for k, v in essence(p).items() if k not in _OWNER_FIELDS}
    return out


@pytest.fixture(scope="session")
def workers(redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:  # noqa: F811
    from huntfeed.distributed.app import app

    app.conf.broker_url = redis_server.url
    app.conf.result_backend = redis_server.url
    home = tmp_path_factory.mktemp("worker-home")
    procs = start_workers(redis_server.url, home, 2, log_dir=home)
    try:
        wait_ready(app, procs, home)
        yield app
    finally:
        stop_workers(procs)


def _local_demo(db_url: str, port: int) -> dict[frozenset[str], dict[str, Any]]:
    from huntfeed.demo import serve_demo
    from huntfeed.pipeline import Knowledge
    from huntfeed.runner import Runner
    from huntfeed.store import Store

    store = Store(db_url)
    kb = Knowledge.load(kev_path=demo_kev())
    with serve_demo(port=port) as site:
        for source in parse_opml(site.body(site.root / "feeds.opml").decode(), "demo"):
            store.add_feed(source)
        host = site.base.split("//", 1)[1]
        with Fetcher(FetchSettings(allow_hosts=frozenset({host}))) as fetcher:
            for phase in (1, 2):
                site.phase = phase
                Runner(store, fetcher, kb, None).run()
    return by_story(store)


def test_demo_corpus_distributed_equals_local(workers: Any, pg_server: PostgresServer, tmp_path: Path) -> None:  # noqa: F811
    from huntfeed.demo import serve_demo
    from huntfeed.distributed.dispatch import dispatch_run
    from huntfeed.distributed.tasks import worker_info
    from huntfeed.store import Store

    port = free_port()  # profile ids derive from article URLs: both modes must see the same ones
    local = _local_demo(f"sqlite:///{tmp_path / 'local.db'}", port)
    assert len(local) >= 10 and any(len(v.get("versions", ())) > 1 for v in local.values()), "the demo has an update phase"
    assert any(len(urls) > 1 for urls in local), "the demo has near-duplicate publications"

    db_url = pg_server.create_database()
    store = Store(db_url)
    out = tmp_path / "out"
    with serve_demo(port=port) as site:
        for source in parse_opml(site.body(site.root / "feeds.opml").decode(), "demo"):
            store.add_feed(source)
        host = site.base.split("//", 1)[1]
        # First look dispatched twice at once: duplicate polls and analyses must not duplicate anything.
        reports: list[Any] = []
        runs = [threading.Thread(target=lambda: reports.append(
            dispatch_run(db_url, allow_hosts=(host,), out_dir=out, timeout=120))) for _ in range(2)]
        for t in runs:
            t.start()
        for t in runs:
            t.join(150)
        assert len(reports) == 2
        site.phase = 2
        update = dispatch_run(db_url, allow_hosts=(host,), out_dir=out, timeout=120)
        assert update.items["updated"] >= 1 and update.feeds["changed"] >= 1
    # Each profile was new exactly once, whichever duplicate of a task got there first.
    assert sum(r.items["new"] for r in [*reports, update]) == len(local)

    assert by_story(store) == local
    heads = store.list_profiles(limit=10_000)
    assert {p.name for p in out.iterdir()} == {f"{p.id}.{ext}" for p in heads for ext in ("md", "json")}
    assert all(json.loads((out / f"{p.id}.json").read_text())["version"] == p.version for p in heads)
    assert not store.entries(states=("pending", "failed"))

    # Both worker processes did analyses, and each loaded the models exactly once.
    assert len(reports[0].workers + reports[1].workers) == 2, "both workers analysed items"
    pending = [worker_info.apply_async(kwargs={}) for _ in range(8)]
    by_pid = {info["pid"]: info for info in (r.get(timeout=30) for r in pending)}
    assert len(by_pid) == 2
    assert all(i["knowledge_loads"] == 1 and i["tasks"] >= 3 for i in by_pid.values())


def test_backfill_distributed_equals_local(workers: Any, pg_server: PostgresServer, tmp_path: Path) -> None:  # noqa: F811
    from huntfeed.distributed.backfill import backfill_local
    from huntfeed.distributed.dispatch import dispatch_backfill
    from huntfeed.pipeline import Knowledge
    from huntfeed.store import Store
    from tests.test_backfill import write_archive

    archive = write_archive(tmp_path / "archive.jsonl", 30)
    local = Store(f"sqlite:///{tmp_path / 'local.db'}")
    backfill_local(local, Knowledge.load(kev_path=demo_kev()), archive)

    db_url = pg_server.create_database()
    report = dispatch_backfill(db_url, archive, batch=4, timeout=120)
    assert (report.queued, report.done, report.failed, len(report.bad_lines)) == (30, 30, 0, 1)
    store = Store(db_url)
    assert snapshot(store) == snapshot(local)
    assert store.backfill_counts() == {"done": 30, "failed": 1}
    # Resuming a finished backfill queues nothing.
    again = dispatch_backfill(db_url, archive, batch=4, timeout=60)
    assert (again.queued, again.skipped) == (0, 30)


FEED = """<?xml version="1.0"?><rss version="2.0"><channel><title>Flaky</title><link>{base}/</link>
<item><title>Flaky host report</title><link>{base}/post</link><guid>flaky-1</guid>
<description>Short summary of the flaky report.</description></item>
<item><title>Gone report</title><link>{base}/gone</link><guid>gone-1</guid>
<description>The actors ran powershell.exe -enc and beaconed to 198.51.100[.]23 over HTTPS.</description></item>
</channel></rss>"""
PAGE = ("<html><body><article><h1>Flaky host report</h1>"
        + "".join(f"<p>Step {i}: the operators dumped LSASS memory with procdump on host {i} and used "
                  f"203.0.113[.]{i} for command and control.</p>" for i in range(1, 13))
        + "</article></body></html>")


def test_network_failures_are_retried_with_backoff(workers: Any, pg_server: PostgresServer,  # noqa: F811
                                                  redis_server: RedisServer) -> None:  # noqa: F811
    from click.testing import CliRunner

    from huntfeed.cli import cli
    from huntfeed.model import Source
    from huntfeed.store import Store
    from tests.httpserver import LoopbackServer, Reply

    with LoopbackServer() as server:
        calls = {"n": 0}

        def flaky(_: object) -> Reply:
            calls["n"] += 1
            return Reply(503) if calls["n"] <= 2 else Reply(200, PAGE.encode(), {"Content-Type": "text/html"})

        server.routes["/feed.xml"] = Reply(200, FEED.format(base=server.base).encode(),
                                           {"Content-Type": "application/rss+xml"})
        server.routes["/post"] = flaky
        server.routes["/gone"] = Reply(404)
        db_url = pg_server.create_database()
        store = Store(db_url)
        store.add_feed(Source(f"{server.base}/feed.xml", "Flaky"))
        # Through the command line this time: `huntfeed dispatch` queues the polls and waits.
        result = CliRunner().invoke(cli, ["dispatch", "--db", db_url, "--broker", redis_server.url,
                                          "--allow-host", server.host, "--timeout", "60", "--json"])
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout.strip().splitlines()[-1])
        hits = [path for path, _ in server.hits]
    assert report["items"] == {"new": 2} and report["feeds"] == {"changed": 1}
    assert hits.count("/post") == 3, "two 503s retried, then the page"
    assert hits.count("/gone") == 1, "a 404 is not retried"
    by_title = {p.title: p for p in store.list_profiles()}
    assert by_title["Flaky host report"].text_source.value == "full-article"
    assert by_title["Gone report"].text_source.value == "rss-summary"
    assert any("HTTP 404" in i.message for i in store.list_issues())


def _run_report(args: list[str]) -> dict[str, Any]:
    """`huntfeed run ... --json`, its report with the profiles' order made canonical."""
    from click.testing import CliRunner

    from huntfeed.cli import cli

    result = CliRunner().invoke(cli, [*args, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout.strip().splitlines()[-1])
    report["profiles_new"] = sorted(report["profiles_new"])
    report["profiles_updated"] = sorted(report["profiles_updated"], key=lambda p: p["id"])
    report["issues"] = sorted((i["where"], i["message"]) for i in report["issues"])
    return report


def _order_free(report: dict[str, Any]) -> dict[str, Any]:
    """The run report without the ids and change texts that depend on which copy came first."""
    return {**report, "profiles_new": len(report["profiles_new"]),
            "profiles_updated": sorted(p["version"] for p in report["profiles_updated"])}


def _stories(store: Any) -> set[frozenset[str]]:
    """Each profile as the set of publications it stands for (near-duplicates merged)."""
    return {frozenset({p.url, *(s.url for s in p.sources)}) for p in store.list_profiles()}


def test_run_distributed_reports_what_a_local_run_does(workers: Any, pg_server: PostgresServer,  # noqa: F811
                                                       redis_server: RedisServer, tmp_path: Path,  # noqa: F811
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    from click.testing import CliRunner

    from huntfeed.cli import cli
    from huntfeed.demo import serve_demo
    from huntfeed.paths import data_dir
    from huntfeed.store import Store

    kev = demo_kev()
    if kev is not None:  # the local run scores with the KEV list the workers were given
        shutil.copy(kev, data_dir() / "kev.json")
    monkeypatch.setenv("HUNTFEED_BROKER", redis_server.url)  # restored after the test: the CLI sets it
    pg_url = pg_server.create_database()
    with serve_demo(port=free_port()) as site:
        opml = tmp_path / "feeds.opml"
        opml.write_bytes(site.body(site.root / "feeds.opml"))
        host = site.base.split("//", 1)[1]
        local = ["run", "--feeds", str(opml), "--db", f"sqlite:///{tmp_path / 'local.db'}", "--allow-host", host]
        dist = ["run", "--distributed", "--feeds", str(opml), "--db", pg_url, "--broker", redis_server.url,
                "--allow-host", host, "--timeout", "120", "--out", str(tmp_path / "out")]
        first = _run_report(dist)
        # Which copy of a syndicated story arrives first decides the id its story is filed under, and
        # workers race; what must agree is every count and which publications make one story.
        assert _order_free(first) == _order_free(_run_report(local))
        assert _stories(Store(pg_url)) == _stories(Store(f"sqlite:///{tmp_path / 'local.db'}"))
        assert len(first["profiles_new"]) >= 10 and first["feeds_polled"] >= 2 and first["pages_fetched"] >= 10
        site.phase = 2
        update = _run_report(dist)
        assert _order_free(update) == _order_free(_run_report(local))
        assert _stories(Store(pg_url)) == _stories(Store(f"sqlite:///{tmp_path / 'local.db'}"))
        assert update["profiles_updated"] and all(p["changes"] for p in update["profiles_updated"])
        # Nothing changed since: the plain summary line is the local run's, word for word.
        lines = []
        for args in (dist, local):
            text = CliRunner().invoke(cli, args)
            assert text.exit_code == 0, text.output
            lines.append([line for line in text.output.splitlines() if line.startswith("run: ")])
        assert lines[0] == lines[1] and "0 new, 0 updated profile(s)" in lines[0][0]
    assert {p.stem for p in (tmp_path / "out").iterdir()} == {*first["profiles_new"], *update["profiles_new"]}


def test_run_distributed_without_a_broker_says_so(pg_server: PostgresServer,  # noqa: F811
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from huntfeed.cli import cli
    from huntfeed.distributed.app import app
    from huntfeed.model import Source
    from huntfeed.store import Store

    db_url = pg_server.create_database()
    Store(db_url).add_feed(Source("https://feeds.example/rss", "Example"))
    port = free_port()
    dead = f"redis://:s3cret@127.0.0.1:{port}/0"
    monkeypatch.setenv("HUNTFEED_BROKER", dead)  # the CLI repoints the app: undo that for the other tests
    monkeypatch.setitem(app.conf, "broker_url", app.conf.broker_url)
    monkeypatch.setitem(app.conf, "result_backend", app.conf.result_backend)
    result = CliRunner().invoke(cli, ["run", "--distributed", "--db", db_url, "--broker", dead])
    assert result.exit_code != 0
    said = str(result.exception) + result.output
    assert f"cannot reach the broker at redis://:**@127.0.0.1:{port}/0" in said and "s3cret" not in said
