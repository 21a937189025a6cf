"""Web UI and JSON API through FastAPI's test client over a real SQLite store."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from huntfeed.render.json_profile import profile_from_dict
from huntfeed.store import Store
from huntfeed.web.app import LAST_VISIT_COOKIE, create_app, default_tactic_order
from tests.fixtures_profiles import NOW, XSS, apt_profile_v2, make_store

TACTICS = ("reconnaissance", "initial-access", "execution", "persistence", "privilege-escalation",
           "exfiltration", "impact")
APT = "a1b2c3d4e5f60718"
PAGES = ["/", "/?severity=HIGH", f"/profiles/{APT}", f"/profiles/{APT}?version=1", "/heatmap", "/feeds", "/new"]


class Clock:
    def __init__(self) -> None:
        self.now = NOW + timedelta(hours=1)

    def __call__(self):  # type: ignore[no-untyped-def]
        return self.now


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    # Shared by the read-only tests; a test that writes builds its own.
    return make_store(tmp_path_factory.mktemp("web") / "web.db")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(store: Store, clock: Clock) -> Iterator[TestClient]:
    app = create_app(store, tactic_order=lambda: TACTICS, clock=clock, page_size=2)
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c


class Tags(HTMLParser):
    """Collects tags with their attributes and the text inside script elements."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.script_text = ""
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.script_text += data


def _tags(html: str) -> Tags:
    t = Tags()
    t.feed(html)
    return t


def _titles(html: str) -> list[str]:
    return re.findall(r'class="ptitle" href="/profiles/(\w+)"', html)


def test_list_filters_and_paging(client: TestClient) -> None:
    first = client.get("/")
    assert first.status_code == 200 and "3 matches" in first.text
    assert _titles(first.text) == ["a1b2c3d4e5f60718", "ffee000011112222"]  # page size 2, newest first
    second = client.get("/?page=2")
    assert _titles(second.text) == ["0000aaaa1111bbbb"] and "page 2 of 2" in second.text
    assert _titles(client.get("/?severity=CRITICAL").text) == ["ffee000011112222"]
    assert _titles(client.get("/?q=newsletter").text) == ["0000aaaa1111bbbb"]
    assert _titles(client.get("/?technique=T1190").text) == ["ffee000011112222"]
    assert _titles(client.get("/?source=Vendor+PSIRT").text) == ["ffee000011112222"]
    assert len(_titles(client.get("/?period=7d").text)) == 2  # the newsletter is 9 days old
    assert "No profiles match" in client.get("/?q=nothing-like-this").text
    # Nonsense filters fall back instead of failing.
    assert client.get("/?severity=bogus&period=zz&page=-3").status_code == 200


def test_profile_page_shows_every_section(client: TestClient) -> None:
    html = client.get(f"/profiles/{APT}").text
    for section in ("summary", "why", "indicators", "techniques", "actors", "killchain", "hunts", "history"):
        assert f'id="{section}"' in html
    assert "203[.]0[.]113[.]45" in html and 'data-copy="203.0.113.45"' in html  # defanged shown, live copied
    assert "hxxp[://]203[.]0[.]113[.]45/gate[.]php?id=1" in html
    tags = _tags(html)
    copy_targets = [a["data-copy-target"] for t, a in tags.tags if t == "button" and "data-copy-target" in a]
    assert len(copy_targets) == 5  # spl, kql, sigma + sweep spl, kql
    ids = {a.get("id") for _, a in tags.tags}
    assert all(target in ids for target in copy_targets)
    assert "Registry Run Keys / Startup Folder" in html and "added a Run key" in html
    assert "UC_PS_ENCODED" in html and "DeviceProcessEvents" in html


def test_version_history_and_old_versions(client: TestClient) -> None:
    html = client.get(f"/profiles/{APT}").text
    history = html[html.index('id="history"'):]
    assert "v2" in history and "v1" in history and "severity" in history and "MED -&gt; HIGH" in history
    old = client.get(f"/profiles/{APT}?version=1").text
    assert "latest is" in old and "203[.]0[.]113[.]45" not in old
    assert client.get("/profiles/0123456789abcdef").status_code == 404


@pytest.mark.hostile
def test_feed_content_is_escaped_everywhere(client: TestClient) -> None:
    for path in PAGES:
        html = client.get(path).text
        assert XSS not in html, path
        tags = _tags(html)
        scripts = [a for t, a in tags.tags if t == "script"]
        assert scripts == [{"src": "/static/app.js", "defer": None}], path
        assert tags.script_text.strip() == "", path
        for _, attrs in tags.tags:
            assert not any(k.startswith("on") or k == "style" for k in attrs), path
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in client.get("/feeds").text


@pytest.mark.hostile
def test_non_http_links_from_feeds_are_not_clickable(tmp_path: Path) -> None:
    own = make_store(tmp_path / "own.db")
    own.save_profile(replace(apt_profile_v2(), id="bad0bad0bad0bad0", url="javascript:alert(1)",
                             content_hash="evil"))
    with TestClient(create_app(own, tactic_order=lambda: TACTICS), base_url="http://127.0.0.1") as c:
        html = c.get("/profiles/bad0bad0bad0bad0").text
    assert 'href="javascript:' not in html and 'href="#"' in html


def test_security_headers(client: TestClient) -> None:
    for path in [*PAGES, "/api/profiles", "/static/app.js"]:
        r = client.get(path)
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp, path
        assert "frame-ancestors 'none'" in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["referrer-policy"] == "no-referrer"


def test_heatmap_columns_follow_tactic_order(client: TestClient) -> None:
    html = client.get("/heatmap?period=all").text
    assert re.findall(r'data-tactic="([\w-]+)"', html) == list(TACTICS)
    data = client.get("/api/heatmap?period=all").json()
    assert [c["tactic"] for c in data["tactics"]] == list(TACTICS)
    execution = next(c for c in data["tactics"] if c["tactic"] == "execution")
    assert execution["techniques"] == [{"id": "T1059.001", "name": "PowerShell", "count": 2}]
    persistence = next(c for c in data["tactics"] if c["tactic"] == "persistence")
    assert persistence["techniques"][0]["id"] == "T1547.001"
    assert "heat-5" in html  # the most cited technique gets the hottest colour


def test_default_tactic_order_comes_from_the_catalog() -> None:
    order = default_tactic_order()
    assert order[0] == "reconnaissance" and "command-and-control" in order
    assert order.index("initial-access") < order.index("execution") < order.index("impact")


def test_feeds_page(client: TestClient) -> None:
    html = client.get("/feeds").text
    assert "Example Threat Intel" in html and "https://broken.example/rss" in html
    assert "status-bad" in html and "HTTP 503" in html
    feeds = client.get("/api/feeds").json()
    broken = next(f for f in feeds if f["url"] == "https://broken.example/rss")
    assert broken["error_count"] == 1 and broken["last_status"] == "error"


def test_new_since_last_visit_uses_a_cookie(client: TestClient, clock: Clock) -> None:
    first = client.get("/new")
    assert "First visit" in first.text and len(_titles(first.text)) == 2  # last 24 hours
    assert LAST_VISIT_COOKIE in first.cookies
    clock.now += timedelta(hours=1)
    second = client.get("/new")
    assert _titles(second.text) == [] and "since" in second.text


def test_api_profiles_use_the_json_schema(client: TestClient) -> None:
    data = client.get("/api/profiles", params={"severity": "HIGH", "limit": 10}).json()
    assert data["total"] == 2 and len(data["profiles"]) == 2
    p = profile_from_dict(data["profiles"][0])
    assert p.id == APT and p.version == 2
    one = client.get(f"/api/profiles/{APT}", params={"version": 1}).json()
    assert profile_from_dict(one).version == 1
    versions = client.get(f"/api/profiles/{APT}/versions").json()
    assert [v["version"] for v in versions] == [1, 2]
    assert client.get("/api/profiles/nope").status_code == 404
    assert client.get("/api/profiles", params={"limit": 0}).status_code == 422


@pytest.mark.parametrize("fmt", ["json", "md", "stix", "misp", "navigator", "csv"])
def test_api_export(client: TestClient, fmt: str) -> None:
    r = client.get(f"/api/profiles/{APT}/export", params={"format": fmt})
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    assert ("203.0.113.45" in r.text) or fmt == "navigator"


def test_openapi_and_read_only(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/api/profiles" in spec["paths"] and "/api/heatmap" in spec["paths"]
    writes = {(path, op) for path, ops in spec["paths"].items() for op in ops if op != "get"}
    assert writes == {("/api/feeds", "post"), ("/api/feeds", "delete"), ("/api/analyze", "post"),
                      ("/api/feedback", "post"), ("/api/feedback/{n}", "delete")}
    # the token-guarded calls are refused outright by a server started without a token
    assert client.post("/api/feeds", json={"url": "https://a.example/f.xml"}).status_code == 403
    assert client.post("/api/analyze", json={"text": "x"}).status_code == 403
    assert client.post("/api/feedback", json={"kind": "false-positive", "value": "x", "reason": "r"}).status_code == 403
    assert client.post("/api/profiles").status_code == 405
    assert client.delete(f"/api/profiles/{APT}").status_code == 405
    assert client.get("/docs").status_code == 200


def test_pages_answer_head(client: TestClient) -> None:
    for path in ("/", "/heatmap", "/feeds", f"/profiles/{APT}"):
        r = client.head(path)
        assert r.status_code == 200 and r.content == b"", path
        assert "script-src 'self'" in r.headers["content-security-policy"]


def test_navigator_layer_for_a_period(client: TestClient) -> None:
    layer = client.get("/api/navigator", params={"period": "7d"}).json()
    scores = {t["techniqueID"]: t.get("score") for t in layer["techniques"]}
    assert layer["versions"]["layer"] == "4.5" and scores["T1059.001"] == 2
    assert 'href="/api/navigator?period=all"' in client.get("/heatmap?period=all").text


@pytest.mark.hostile
def test_reflected_query_values_are_escaped(client: TestClient) -> None:
    evil = '"><script>alert(1)</script>'
    html = client.get("/", params={"q": evil, "source": evil, "technique": evil}).text
    assert "<script>alert(1)" not in html and "&#34;&gt;&lt;script&gt;" in html
    assert "<script>alert" not in client.get("/profiles/%3Cscript%3Ealert(1)%3C%2Fscript%3E").text
