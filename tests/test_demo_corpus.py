"""The bundled demo corpus: feeds parse, links resolve to pages, the update overlay changes what it should."""

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
        assert "127.0.0.1:" not in raw and "//localhost" not in raw, path


def test_demo_opml_lists_the_three_feeds() -> None:
    result = listparser.parse(text(DEMO / "feeds.opml"))
    assert not result.bozo
    urls = sorted(local_path(f.url) for f in result.feeds)
    assert urls == sorted(f"feeds/{n}" for n in FEEDS)
    raw = (DEMO / "feeds.opml").read_text(encoding="utf-8")
    assert set(re.findall(r'category="(\w+)"', raw)) == {"vendor", "government", "news"}
    assert set(re.findall(r'reliability="(\w)"', raw)) <= {"A", "B", "C"}


def page_files() -> dict[str, Path]:
    """Every article page either poll can serve, by slug (update/ wins)."""
    pages = {p.stem: p for p in (SITE / "posts").glob("*.html")}
    pages.update({p.stem: p for p in (UPDATE / "posts").glob("*.html")})
    return pages


def linked_slugs(poll: int) -> set[str]:
    return {Path(local_path(e.link)).stem for n in FEEDS for e in parse_feed(n, poll).entries}


def test_at_least_eighteen_distinct_articles_and_no_orphan_pages() -> None:
    pages = page_files()
    assert len(pages) >= 18
    assert set(pages) == linked_slugs(1) | linked_slugs(2)
    titles = {re.findall(r"<h1[^>]*>(.*?)</h1>", p.read_text(encoding="utf-8"))[0] for p in pages.values()}
    assert len(titles) == len(pages)


def test_full_articles_are_400_to_1500_words() -> None:
    stubs = {p.stem for p in (UPDATE / "posts").glob("*.html") if (SITE / "posts" / p.name).exists()}
    for slug, path in page_files().items():
        words = len(article_body(path.read_text(encoding="utf-8")).split())
        assert 400 <= words <= 1500, f"{slug}: {words} words"
    for slug in stubs:
        stub_words = len(article_body((SITE / "posts" / f"{slug}.html").read_text(encoding="utf-8")).split())
        assert stub_words < 400, f"{slug}: the first-poll stub should be short"


def test_pages_carry_site_chrome_around_the_article() -> None:
    for slug, path in page_files().items():
        html = path.read_text(encoding="utf-8")
        for marker in (
            'id="cookie-banner"',
            '<nav aria-label="Main">',
            'class="sidebar"',
            'class="related-posts"',
            'class="share"',
            'class="site-footer"',
        ):
            assert marker in html, f"{slug} lacks {marker}"
        assert f'<link rel="canonical" href="{{{{BASE}}}}/posts/{slug}.html">' in html


def test_no_indicator_is_a_clickable_link() -> None:
    # Outside links must be benign references (vendor sites, social media, ATT&CK, NVD, docs);
    # indicators appear only as text, so a reader of the demo cannot click one by accident.
    benign = re.compile(
        r"^https://(www\.)?(ironveillabs\.com|packetwire\.news|ncsc-norvane\.org|x\.com|linkedin\.com|reddit\.com"
        r"|github\.com|attack\.mitre\.org|youtube\.com|bsky\.app|first\.org|infosec\.exchange|learn\.microsoft\.com"
        r"|nvd\.nist\.gov|kubernetes\.io|quarrybrook-software\.com|cobaltstrike\.com|docs\.npmjs\.com|cisa\.gov|[a-z0-9.-]+\.example)/"
    )
    for slug, path in page_files().items():
        for href in re.findall(r'href="([^"]+)"', path.read_text(encoding="utf-8")):
            if href.startswith(("{{BASE}}", "mailto:?")):
                continue
            assert benign.match(href), f"{slug}: unexpected outside link {href}"


def test_corpus_uses_every_common_defang_style() -> None:
    corpus = "\n".join(article_body(p.read_text(encoding="utf-8")) for p in page_files().values())
    for style in (
        "hxxp://",
        "hxxps://",
        "hXXps://",
        "hXXp://",
        "[.]",
        "(.)",
        "{.}",
        "[dot]",
        "(dot)",
        "\\.",
        "[:]//",
        "[://]",
        "[@]",
        "[at]",
    ):
        assert style in corpus, style
    assert re.search(r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\[\.\]\d{1,3}\b", corpus), "1.2.3[.]4 style"
    assert re.search(r"\b[a-z-]+ \. [a-z-]+ \. com\b", corpus), "spaced-dot style"
    assert re.search(r"\b[0-9A-F]{64}\b", corpus) and re.search(r"\b[0-9a-f]{64}\b", corpus)
    assert re.search(r"\b[0-9a-f]{40}\b", corpus) and re.search(r"\b[0-9a-f]{32}\b", corpus)
    assert re.search(r"\b2001:db8:", corpus)
    assert "cve-2026-" in corpus and "CVE-2026-" in corpus
    assert re.search(r"\b4[0-9AB][1-9A-HJ-NP-Za-km-z]{93}\b", corpus), "a Monero wallet"
    assert "raw.githubusercontent[.]com/" in corpus, "the malicious raw GitHub payload URL"
    for trap in ("wscript.exe", "WScript.Shell", "System.Net.WebClient", "payload.zip", "report.pdf"):
        assert trap in corpus, trap


def test_indicator_free_items_stay_indicator_free() -> None:
    hashes = re.compile(r"\b[0-9a-fA-F]{32,64}\b")
    ipv4 = re.compile(r"\b\d{1,3}(?:\.|\[\.\])\d{1,3}(?:\.|\[\.\])\d{1,3}(?:\.|\[\.\])\d{1,3}\b")
    news = article_body(page_files()["incident-reporting-law"].read_text(encoding="utf-8"))
    assert not hashes.search(news) and not ipv4.search(news) and not CVE_RE.search(news)
    assert not any(s in news for s in ("hxxp", "[.]", "(.)", "[dot]", "@"))
    vuln = article_body(page_files()["tessaro-plc-vulnerabilities"].read_text(encoding="utf-8"))
    assert len(set(CVE_RE.findall(vuln))) >= 5
    assert not hashes.search(vuln) and "[.]" not in vuln and "hxxp" not in vuln
    # Dotted quads here are version-string traps (firmware 4.7.12.3), never addresses.
    for match in ipv4.finditer(vuln):
        before = vuln[max(0, match.start() - 9) : match.start()]
        assert re.search(r"(?i)(firmware|version|build) $", before), match


def test_wire_items_carry_only_a_short_summary() -> None:
    for poll in (1, 2):
        raw = served("feeds/wire.xml", poll).read_text(encoding="utf-8")
        assert "content:encoded" not in raw
        for entry in parse_feed("wire.xml", poll).entries:
            summary = entry.summary
            assert "<" not in summary and len(summary) <= 400, entry.title
            assert 1 <= len(re.findall(r"[.!?](?:\s|$)", summary)) <= 3, entry.title
            assert "content" not in entry


def test_research_feed_mixes_full_content_and_summaries() -> None:
    entries = parse_feed("research.xml", 1).entries
    with_content = [e for e in entries if "content" in e]
    assert with_content and len(with_content) < len(entries)
    assert any("Indicators of Compromise" in e.content[0].value for e in with_content)


def test_second_poll_changes_only_the_wire_feed() -> None:
    assert not (UPDATE / "feeds" / "research.xml").exists()
    assert not (UPDATE / "feeds" / "advisories.atom").exists()
    for name in ("research.xml", "advisories.atom"):
        assert served(f"feeds/{name}", 1).read_bytes() == served(f"feeds/{name}", 2).read_bytes()
    assert served("feeds/wire.xml", 1).read_bytes() != served("feeds/wire.xml", 2).read_bytes()
    first = {e.id: e for e in parse_feed("wire.xml", 1).entries}
    second = {e.id: e for e in parse_feed("wire.xml", 2).entries}
    assert set(first) < set(second), "the second poll adds a brand-new item and keeps the old ones"
    new_links = [local_path(second[i].link) for i in set(second) - set(first)]
    assert all((UPDATE / rel).is_file() and not (SITE / rel).exists() for rel in new_links)


def test_second_poll_turns_a_stub_into_the_full_write_up() -> None:
    replaced = [p for p in (UPDATE / "posts").glob("*.html") if (SITE / "posts" / p.name).exists()]
    assert replaced
    hashes = re.compile(r"\b[0-9a-f]{64}\b")
    for path in replaced:
        before = article_body((SITE / "posts" / path.name).read_text(encoding="utf-8"))
        after = article_body(path.read_text(encoding="utf-8"))
        assert "analysis" in before.lower() and "follow" in before.lower()
        assert not hashes.search(before) and "Indicators" not in before
        assert len(hashes.findall(after)) >= 2 and "[.]" in after
        link = f"{BASE}/posts/{path.name}"
        old = next(e for e in parse_feed("wire.xml", 1).entries if e.link == link)
        new = next(e for e in parse_feed("wire.xml", 2).entries if e.link == link)
        assert old.id == new.id and old.summary != new.summary


def test_kev_file_lists_some_but_not_all_corpus_cves() -> None:
    kev = json.loads((DEMO / "kev.json").read_text(encoding="utf-8"))
    assert {"catalogVersion", "dateReleased", "count", "vulnerabilities"} <= set(kev)
    assert kev["count"] == len(kev["vulnerabilities"])
    keys = {
        "cveID",
        "vendorProject",
        "product",
        "vulnerabilityName",
        "dateAdded",
        "shortDescription",
        "requiredAction",
        "dueDate",
        "knownRansomwareCampaignUse",
        "notes",
    }
    for vuln in kev["vulnerabilities"]:
        assert keys <= set(vuln), vuln.get("cveID")
        assert re.fullmatch(r"CVE-\d{4}-\d{4,7}", vuln["cveID"])
        assert vuln["knownRansomwareCampaignUse"] in {"Known", "Unknown"}
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", vuln["dateAdded"]) and vuln["dueDate"] >= vuln["dateAdded"]
    corpus = "\n".join(p.read_text(encoding="utf-8") for p in page_files().values())
    corpus_cves = {c.upper() for c in CVE_RE.findall(corpus)}
    listed = {v["cveID"] for v in kev["vulnerabilities"]}
    assert listed & corpus_cves and corpus_cves - listed


def test_default_feed_list_has_25_or_more_real_feeds() -> None:
    path = DATA / "feeds" / "default.opml"
    result = listparser.parse(path.read_text(encoding="utf-8"))
    assert not result.bozo
    urls = [f.url for f in result.feeds]
    assert len(urls) >= 25 and len(set(urls)) == len(urls)
    assert all(u.startswith("https://") for u in urls)
    raw = path.read_text(encoding="utf-8")
    outlines = re.findall(r'<outline type="rss"[^>]*/>', raw)
    assert len(outlines) == len(urls)
    for outline in outlines:
        assert re.search(r'reliability="[ABC]"', outline), outline
        assert re.search(r'category="[a-z-]+"', outline), outline
    assert {"government", "vendor", "news"} <= set(re.findall(r'category="([a-z-]+)"', raw))


@pytest.mark.parametrize("poll", [1, 2])
def test_every_demo_link_resolves_on_that_poll(poll: int) -> None:
    # The chrome links pages to each other, to the feeds and to static files; none may 404.
    roots = [SITE] if poll == 1 else [UPDATE, SITE]
    served_files = {p.relative_to(r).as_posix() for r in roots for p in r.rglob("*") if p.is_file()}
    for rel in sorted(served_files):
        if not rel.endswith((".html", ".xml", ".atom")):
            continue
        for link in re.findall(r"\{\{BASE\}\}(/[^\"'<\s?&]*)", served(rel, poll).read_text(encoding="utf-8")):
            target = link.lstrip("/") or "index.html"
            assert target in served_files, f"poll {poll}: {rel} links to missing {link}"
