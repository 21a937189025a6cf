"""`huntfeed run` against feeds served on loopback: isolation of failures, conditional polling."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from huntfeed.cli import cli
from tests.httpserver import LoopbackServer, Reply

pytestmark = pytest.mark.integration

ARTICLE = """<html><body><article><h1>Loader campaign</h1>
<p>The actor used PowerShell (T1059.001) with an encoded command to fetch a loader from
hxxps://cdn-update[.]example/a.ps1 and created a scheduled task for persistence.</p>
<p>Command and control ran over HTTPS to 203.0.113[.]77 on port 443.</p>
<p>Filler text so that the page counts as a full write-up rather than a stub. </p>
</article></body></html>"""


def rss(base: str, n: int) -> bytes:
    items = "".join(
        f"<item><title>Post {i}</title><link>{base}/post/{i}</link><guid>p{i}</guid>"
        f"<description>Summary {i}</description></item>" for i in range(n)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>'.encode()


def test_run_isolates_a_failing_feed_and_resumes_cheaply(http_server: LoopbackServer, tmp_path) -> None:  # type: ignore[no-untyped-def]
    base = http_server.base

    def feed(handler):  # type: ignore[no-untyped-def]
        if handler.headers.get("If-None-Match") == '"f1"':
            return Reply(304, headers={"ETag": '"f1"'})
        return Reply(200, rss(base, 3), {"ETag": '"f1"', "Content-Type": "application/rss+xml"})

    http_server.routes["/good.xml"] = feed
    http_server.routes["/bad.xml"] = Reply(500, b"oops")
    http_server.routes["/post/0"] = Reply(200, ARTICLE.encode(), {"Content-Type": "text/html"})
    http_server.routes["/post/1"] = Reply(200, b"<html><body>\xff\xfe not utf-8 <p>short</p></body></html>")
    # /post/2 is missing: 404, the item falls back to its summary
    db = f"sqlite:///{tmp_path / 'run.db'}"
    runner = CliRunner()
    for url in ("/good.xml", "/bad.xml"):
        assert runner.invoke(cli, ["feeds", "add", base + url, "--db", db]).exit_code == 0
    args = ["run", "--db", db, "--allow-host", http_server.host, "--out", str(tmp_path / "out"), "--json"]
    first = runner.invoke(cli, args, catch_exceptions=False)
    assert first.exit_code == 0, first.output
    report = json.loads(first.stdout)
    assert report["feeds_failed"] == 1 and len(report["profiles_new"]) == 3
    assert any("HTTP 500" in i["message"] for i in report["issues"])
    assert any("/post/2" in i["where"] and "404" in i["message"] for i in report["issues"])
    assert len(list((tmp_path / "out").glob("*.md"))) == 3
    listed = [json.loads(line) for line in runner.invoke(cli, ["feeds", "list", "--json", "--db", db]).output.splitlines()]
    bad = next(f for f in listed if f["url"].endswith("/bad.xml"))
    assert bad["error_count"] == 1 and "500" in bad["last_error"] and bad["retry_after"]

    hits_before = len(http_server.hits)
    second = json.loads(runner.invoke(cli, args, catch_exceptions=False).stdout)
    assert second["feeds_unchanged"] == 1 and second["feeds_skipped"] == 1  # the bad feed backs off
    assert second["pages_fetched"] == 0 and second["profiles_new"] == []
    assert [p for p, _ in http_server.hits[hits_before:]] == ["/good.xml"]


def test_run_exits_1_when_every_feed_fails(http_server: LoopbackServer, tmp_path) -> None:  # type: ignore[no-untyped-def]
    http_server.routes["/bad.xml"] = Reply(200, b"<html>not a feed</html>")
    db = f"sqlite:///{tmp_path / 'run.db'}"
    CliRunner().invoke(cli, ["feeds", "add", http_server.url("/bad.xml"), "--db", db])
    result = CliRunner().invoke(cli, ["run", "--db", db, "--allow-host", http_server.host, "--json"])
    assert result.exit_code == 1
    assert "not a feed" in json.loads(result.stdout)["issues"][0]["message"]
