"""`huntfeed backfill` in the local mode: streaming, resumable, bad lines reported, folders read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from huntfeed.cli import cli
from huntfeed.distributed.backfill import backfill_local
from huntfeed.distributed.documents import Doc, doc_article, read_input
from huntfeed.pipeline import Knowledge
from huntfeed.store import Store
from tests.synthetic import write_jsonl


def write_archive(path: Path, n: int) -> Path:
    """n synthetic reports (3 KB each), then one line with an id but no text: bad."""
    write_jsonl(path, n, 3000)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write("\n" + json.dumps({"id": "broken", "title": "no body"}) + "\n")
    return path


@pytest.fixture(scope="module")
def kb() -> Knowledge:
    return Knowledge.load()


class Interrupted(Exception):
    pass


def test_backfill_resumes_after_interruption(tmp_path: Path, kb: Knowledge) -> None:
    archive = write_archive(tmp_path / "a.jsonl", 7)
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    calls = []

    def stop_after_first_batch(report: object) -> None:
        calls.append(report)
        raise Interrupted  # as if the process were killed after the first batch

    with pytest.raises(Interrupted):
        backfill_local(store, kb, archive, progress=stop_after_first_batch, batch_size=3)
    assert store.backfill_counts() == {"done": 3}
    report = backfill_local(store, kb, archive, batch_size=3)
    assert (report.seen, report.skipped, report.done, report.failed) == (7, 3, 4, 0)
    assert [b.doc_id for b in report.bad_lines] == ["broken"]
    assert store.backfill_counts() == {"done": 7, "failed": 1}
    assert store.count_profiles() == 7
    profiles = store.list_profiles(limit=100)
    assert all(p.text_source.value == "document" and p.source == "Synthetic Labs" for p in profiles)
    assert all(p.indicators and p.techniques for p in profiles), "synthetic reports carry IOCs and TTPs"
    # A document whose text changed is analysed again: a second version, not a second profile.
    lines = archive.read_text().splitlines()
    first = json.loads(lines[0])
    first["text"] += "\nUpdate: the actor also used 203.0.113[.]77 for staging."
    lines[0] = json.dumps(first)
    archive.write_text("\n".join(lines) + "\n")
    report = backfill_local(store, kb, archive)
    assert (report.done, report.skipped) == (1, 6)
    pid = doc_article(Doc("syn-0", "x"), "x").profile_id
    assert [v.version for v in store.versions(pid)] == [1, 2]


def test_backfill_reads_a_folder(tmp_path: Path, kb: Knowledge) -> None:
    folder = tmp_path / "reports"
    (folder / "2026").mkdir(parents=True)
    (folder / "2026" / "a.md").write_text("# Ashen Lynx update\n\nThe actor used powershell.exe -enc and 198.51.100[.]4.\n")
    (folder / "b.html").write_text("<html><body><article><h1>Web shell</h1><p>" + "Web shells on IIS ran cmd.exe. " * 20
                                   + "</p></article></body></html>")
    (folder / "ignored.bin").write_bytes(b"\x00\x01")
    assert [d.doc_id for d in read_input(folder) if isinstance(d, Doc)] == ["2026/a.md", "b.html"]
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    report = backfill_local(store, kb, folder)
    assert (report.done, report.failed) == (2, 0)
    titles = sorted(p.title for p in store.list_profiles())
    assert titles[0] == "Ashen Lynx update"
    assert "<" not in "".join(p.summary for p in store.list_profiles()), "HTML was converted to text"


def test_backfill_command(tmp_path: Path) -> None:
    archive = write_archive(tmp_path / "a.jsonl", 2)
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    result = CliRunner().invoke(cli, ["backfill", str(archive), "--db", db, "--json"])
    assert result.exit_code == 1, result.output  # the broken line
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert (summary["done"], summary["bad_lines"][0]["id"]) == (2, "broken")
    assert Store(db).count_profiles() == 2
    again = CliRunner().invoke(cli, ["backfill", str(archive), "--db", db, "--json"])
    assert json.loads(again.stdout.strip().splitlines()[-1])["skipped"] == 2


def test_backfill_fetches_url_documents_through_the_guard(tmp_path: Path, kb: Knowledge, http_server) -> None:  # type: ignore[no-untyped-def]
    from huntfeed.feeds.fetch import Fetcher, FetchSettings
    from tests.httpserver import Reply

    page = "<html><body><article><h1>Loopback report</h1>" + "".join(
        f"<p>Stage {i} ran powershell.exe -enc and reached 198.51.100[.]{i}.</p>" for i in range(1, 15)) + "</article></body></html>"
    http_server.routes["/r1"] = Reply(200, page.encode(), {"Content-Type": "text/html"})
    archive = tmp_path / "urls.jsonl"
    archive.write_text(json.dumps({"id": "u1", "url": f"{http_server.base}/r1"}) + "\n")
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    with Fetcher() as guarded:
        report = backfill_local(store, kb, archive, fetch=lambda url: guarded.get(url).text)
    assert report.failed == 1, "a loopback URL is refused unless allowed"
    assert "non-public" in (store.backfill_states(["u1"])["u1"].error or "")
    with Fetcher(FetchSettings(allow_hosts=frozenset({http_server.host}))) as allowed:
        report = backfill_local(store, kb, archive, fetch=lambda url: allowed.get(url).text)
    assert report.done == 1
    profile = store.list_profiles()[0]
    assert profile.title == "Loopback report" and profile.url == f"{http_server.base}/r1"
