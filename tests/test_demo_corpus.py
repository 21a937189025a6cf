"""The bundled demo corpus: feeds parse, every link resolves to a page, the update overlay changes what it should."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlparse

import feedparser
import listparser
import pytest

DATA = Path(__file__).resolve().parents[1] / "src" / "huntfeed" / "data"
DEMO = DATA / "demo"
SITE = DEMO / "site"
UPDATE = DEMO / "update"
BASE = "http://127.0.0.1:8765"
FEEDS = ("research.xml", "advisories.atom", "wire.xml")
CVE_RE = re.compile(r"\bcve-\d{4}-\d{4,7}\b", re.IGNORECASE)


def served(rel: str, poll: int) -> Path:
    """The file the demo server answers with for a path on the given poll (update/ overlays site/)."""
    if poll == 2 and (UPDATE / rel).is_file():
        return UPDATE / rel
    return SITE / rel


def text(path: Path) -> str:
    """File contents with {{BASE}} substituted, as the demo server serves them."""
    return path.read_text(encoding="utf-8").replace("{{BASE}}", BASE)


def parse_feed(name: str, poll: int) -> feedparser.FeedParserDict:
    return feedparser.parse(text(served(f"feeds/{name}", poll)))


def local_path(url: str) -> str:
    parsed = urlparse(url)
    assert f"{parsed.scheme}://{parsed.netloc}" == BASE, url
    return parsed.path.lstrip("/")


def article_body(html: str) -> str:
    """Visible words of the article body (the part between the post-body div and the post footer)."""
    match = re.search(r'<div class="post-body"[^>]*>(.*?)<footer class="post-footer">', html, re.S)
    assert match, "page has no post-body"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1)))


@pytest.mark.parametrize("poll", [1, 2])
@pytest.mark.parametrize("name", FEEDS)
def test_every_feed_parses_cleanly(name: str, poll: int) -> None:
    feed = parse_feed(name, poll)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == ("atom10" if name.endswith(".atom") else "rss20")
    assert feed.entries
    for entry in feed.entries:
        assert entry.title and entry.link and entry.get("id") and entry.get("published_parsed")


@pytest.mark.parametrize("poll", [1, 2])
def test_every_item_link_maps_to_a_page(poll: int) -> None:
    for name in FEEDS:
        for entry in parse_feed(name, poll).entries:
            rel = local_path(entry.link)
            assert rel.startswith("posts/") and rel.endswith(".html"), entry.link
            assert served(rel, poll).is_file(), f"{name}: {entry.link} has no page"


def test_placeholders_used_for_every_demo_link() -> None:
    files = [p for p in DEMO.rglob("*") if p.suffix in {".xml", ".atom", ".html", ".opml"}]
    assert files
    for path in files:
        raw = path.read_text(encoding="utf-8")
        assert "{{BASE}}" in raw, path
        assert "127.0.0.1" not in raw and "localhost" not in raw, path


def test_demo_opml_lists_the_three_feeds() -> None:
    result = listparser.parse(text(DEMO / "feeds.opml"))
    assert not result.bozo
    urls = sorted(local_path(f.url) for f in result.feeds)
    assert urls == sorted(f"feeds/{n}" for n in FEEDS)
    raw = (DEMO / "feeds.opml").read_text(encoding="utf-8")
    assert set(re.findall(r'category="(\w+)"', raw)) == {"vendor", "government", "news"}
    assert set(re.findall(r'reliability="(\w)"', raw)) <= {"A", "B", "C"}
