"""The token-guarded API calls: following feeds and analysing a document, in-process and over real HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from huntfeed.cli import cli
from huntfeed.feeds.fetch import FetchSettings
from huntfeed.store import Store
from huntfeed.web.app import create_app
from tests.httpserver import LoopbackServer, Reply
from tests.pg import free_port

TOKEN = "test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
REPORT = ("<html><body><article><h1>Intrusion notes</h1>"
          + "<p>The operators ran vssadmin delete shadows /all /quiet and then connected to "
            "update-check[.]example-cdn[.]net for their second stage.</p>" * 8
          + "</article></body></html>")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'w.db'}")


def _client(store: Store, **kw: object) -> TestClient:
    return TestClient(create_app(store, tactic_order=lambda: ("impact",), **kw),  # type: ignore[arg-type]
                      base_url="http://127.0.0.1")


def test_writes_need_the_servers_bearer_token(store: Store) -> None:
    with _client(store, token=TOKEN) as client:
        feed = {"url": "https://research.example/feed.xml", "name": "Research", "reliability": "a"}
        assert client.post("/api/feeds", json=feed).status_code == 401
        wrong = client.post("/api/feeds", json=feed, headers={"Authorization": "Bearer " + "x" * len(TOKEN)})
        assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
        assert client.post("/api/feeds", json=feed, headers={"Authorization": TOKEN}).status_code == 401
        assert store.list_feeds() == []

        added = client.post("/api/feeds", json=feed, headers=AUTH)
        assert added.status_code == 201 and added.json() == {"url": feed["url"], "added": True}
        assert [(f.url, f.name, f.reliability) for f in store.list_feeds()] == [(feed["url"], "Research", "A")]
        assert client.post("/api/feeds", json=feed, headers=AUTH).json()["added"] is False

        assert client.delete("/api/feeds", params={"url": feed["url"]}).status_code == 401
        assert client.delete("/api/feeds", params={"url": feed["url"]}, headers=AUTH).status_code == 204
        assert client.delete("/api/feeds", params={"url": feed["url"]}, headers=AUTH).status_code == 404
        assert store.list_feeds() == []


def test_feed_urls_must_be_http(store: Store) -> None:
    with _client(store, token=TOKEN) as client:
        for url in ("file:///etc/passwd", "javascript:alert(1)", "ftp://x.example/f"):
            assert client.post("/api/feeds", json={"url": url}, headers=AUTH).status_code == 422
    assert store.list_feeds() == []


def test_analyze_text_returns_a_profile_without_storing_it(store: Store) -> None:
    with _client(store, token=TOKEN) as client:
        r = client.post("/api/analyze", json={"text": REPORT, "title": "Notes"}, headers=AUTH)
        assert r.status_code == 200, r.text
        profile = r.json()
        assert profile["title"] == "Notes"
        assert "T1490" in {t["id"] for t in profile["techniques"]}
        assert "update-check.example-cdn.net" in {i["value"] for i in profile["indicators"]}
        assert client.post("/api/analyze", json={"text": "a", "url": "https://x.example/"},
                           headers=AUTH).status_code == 422
    assert store.count_profiles() == 0


def test_analyze_url_goes_through_the_ssrf_guard(store: Store, http_server: LoopbackServer) -> None:
    http_server.routes["/report"] = Reply(200, REPORT.encode(), {"Content-Type": "text/html"})
    url = http_server.url("/report")
    with _client(store, token=TOKEN) as client:
        refused = client.post("/api/analyze", json={"url": url}, headers=AUTH)
        assert refused.status_code == 422 and "non-public address" in refused.json()["detail"]
    assert not http_server.hits
    allowed = FetchSettings(allow_hosts=frozenset({http_server.host}))
    with _client(store, token=TOKEN, fetch_settings=allowed) as client:
        r = client.post("/api/analyze", json={"url": url}, headers=AUTH)
    assert r.status_code == 200, r.text
    assert r.json()["url"] == url and "T1490" in {t["id"] for t in r.json()["techniques"]}


def test_serve_refuses_a_short_token(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("short\n")
    proc = subprocess.run([sys.executable, "-m", "huntfeed", "serve", "--token-file", str(token),
                           "--db", f"sqlite:///{tmp_path / 'a.db'}"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "at least 16 characters" in proc.stderr


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str]]:
    db = f"sqlite:///{tmp_path / 's.db'}"
    port = free_port()
    token = tmp_path / "token"
    token.write_text(TOKEN + "\n")
    env = {**os.environ, "HUNTFEED_API_TOKEN": ""}
    proc = subprocess.Popen([sys.executable, "-m", "huntfeed", "serve", "--port", str(port), "--db", db,
                             "--token-file", str(token)], env=env, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120  # a loaded CI machine can take long to import the app
        while True:
            try:
                httpx.get(base + "/api/feeds", timeout=5)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                assert time.monotonic() < deadline, "huntfeed serve did not start listening"
                time.sleep(0.2)
        yield base, db
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.integration
def test_huntfeed_serve_with_a_token_file_accepts_writes_over_http(served: tuple[str, str]) -> None:
    base, db = served
    feed = {"url": "https://advisories.example/all.atom", "reliability": "A"}
    assert httpx.post(base + "/api/feeds", json=feed, timeout=30).status_code == 401
    r = httpx.post(base + "/api/feeds", json=feed, headers=AUTH, timeout=30)
    assert r.status_code == 201 and "content-security-policy" in r.headers
    listed = CliRunner().invoke(cli, ["feeds", "list", "--json", "--db", db])
    assert [json.loads(line)["url"] for line in listed.output.splitlines()] == [feed["url"]]
