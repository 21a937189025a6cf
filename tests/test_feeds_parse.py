"""Feed parsing, feed lists and article text selection."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from huntfeed.errors import ConfigError, ParseError
from huntfeed.feeds.article import build_article, html_to_text, is_thin
from huntfeed.feeds.opml import parse_opml, parse_toml, to_opml
from huntfeed.feeds.parse import fingerprint, parse_feed, strip_html
from huntfeed.model import Entry, Source, TextSource

RSS = b"""<?xml version="1.0"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
<title>Example Research</title><link>https://research.example/</link>
<item><title>Loader &amp; friends</title><link>https://research.example/a</link><guid>a-1</guid>
<pubDate>Tue, 24 Nov 2026 09:00:00 GMT</pubDate><description>&lt;p&gt;Short &lt;b&gt;summary&lt;/b&gt;.&lt;/p&gt;</description>
<content:encoded><![CDATA[<p>Full body with evil[.]example</p>]]></content:encoded></item>
<item><title>Dup</title><link>https://research.example/b</link><guid>a-1</guid></item>
<item><title>Future</title><link>https://research.example/c</link><guid>c</guid><pubDate>Fri, 01 Jan 2100 00:00:00 GMT</pubDate></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>CERT Advisories</title><id>urn:x</id><updated>2026-11-20T10:00:00Z</updated>
<entry><title>Advisory 1</title><id>urn:adv:1</id><link href="https://cert.example/adv/1"/>
<updated>2026-11-20T10:00:00Z</updated><summary>Patch now.</summary></entry></feed>"""

RDF = b"""<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
<channel rdf:about="https://old.example/"><title>Old style</title><link>https://old.example/</link></channel>
<item rdf:about="https://old.example/1"><title>RSS 1.0 item</title><link>https://old.example/1</link></item></rdf:RDF>"""


def test_rss2_items_content_and_guards() -> None:
    feed = parse_feed(RSS, "https://research.example/feed", "Example Research")
    assert feed.title == "Example Research"
    assert [e.guid for e in feed.entries] == ["a-1", "c"], "duplicate GUIDs keep the first"
    first = feed.entries[0]
    assert first.title == "Loader & friends"
    assert first.summary == "Short summary ."
    assert "evil[.]example" in first.content
    assert first.published == datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    assert feed.entries[1].published is None, "a date in 2100 is not trusted"


def test_atom_and_rss1() -> None:
    atom = parse_feed(ATOM, "https://cert.example/feed.atom")
    assert atom.entries[0].link == "https://cert.example/adv/1" and atom.entries[0].summary == "Patch now."
    rdf = parse_feed(RDF, "https://old.example/rss")
    assert rdf.entries[0].title == "RSS 1.0 item"


@pytest.mark.parametrize("body", [b"<html><body>not a feed</body></html>", b"\x00\x01binary", b"<rss><channel><item>"])
def test_not_a_feed_is_a_parse_error(body: bytes) -> None:
    with pytest.raises(ParseError):
        parse_feed(body, "https://x.example/feed")


def test_fingerprint_changes_with_content() -> None:
    e = Entry("f", "g", "t", "https://x.example/1", summary="s")
    assert fingerprint(e) == fingerprint(Entry("f", "g", "t", "https://x.example/1", summary="s"))
    assert fingerprint(e) != fingerprint(Entry("f", "g", "t", "https://x.example/1", summary="s2"))


def test_strip_html_keeps_line_structure() -> None:
    assert strip_html("<p>one</p><p>two &amp; <i>three</i></p>") == "one\ntwo & three"


def test_opml_round_trip_and_strictness() -> None:
    sources = (Source("https://a.example/feed", "A feed", "A", ("gov",)), Source("https://b.example/rss", "B", "C"))
    assert parse_opml(to_opml(sources)) == sources
    with pytest.raises(ConfigError, match="A-F"):
        parse_opml('<opml><body><outline xmlUrl="https://x/" reliability="Z"/></body></opml>')
    with pytest.raises(ParseError):
        parse_opml("<opml><body>")


def test_toml_feed_list_is_strict() -> None:
    assert parse_toml('[[feed]]\nurl = "https://a.example/feed"\nreliability = "a"\n')[0].reliability == "A"
    with pytest.raises(ConfigError, match="unknown keys: colour"):
        parse_toml('[[feed]]\nurl = "https://a.example/feed"\ncolour = "red"\n', "feeds.toml")


PAGE = """<html><head><title>Blog</title></head><body>
<nav><a href="/">Home</a> <a href="/about">About us</a> <a href="/careers">Careers</a></nav>
<div class="cookie">We use cookies to improve your experience. Accept all cookies?</div>
<article><h1>Inside the loader</h1>
<p>The operators delivered a loader through a trojanised installer of a popular utility, and the
loader contacted its command-and-control server over HTTPS every five minutes.</p>
<p>It persisted through a scheduled task and pulled a second stage from a paste site.</p>
<h2>Indicators of compromise</h2>
<table><tr><th>Type</th><th>Value</th></tr><tr><td>domain</td><td>update-check[.]example</td></tr>
<tr><td>sha256</td><td>3f79bb7b435b05321651daefd374cdc681dc06faa65e374e38337b88ca046dea</td></tr></table>
</article>
<footer>Copyright 2026 Example Corp. All rights reserved. Follow us on social media.</footer></body></html>"""


def test_html_to_text_keeps_body_and_tables_drops_chrome() -> None:
    text = html_to_text(PAGE, "https://research.example/a")
    assert "trojanised installer" in text
    assert "update-check[.]example" in text and "3f79bb7b435b0532" in text
    assert "cookies" not in text and "Careers" not in text


def test_build_article_prefers_fullest_text() -> None:
    src = Source("https://research.example/feed", "Example", "A")
    entry = Entry("https://research.example/feed", "g", "T", "https://research.example/a", summary="Short.")
    page = "Long page text. " * 40
    full = build_article(entry, src, page)
    assert full.text_source is TextSource.FULL_ARTICLE and full.source_reliability == "A"
    summary_only = build_article(entry, src, None)
    assert summary_only.text_source is TextSource.RSS_SUMMARY and summary_only.text == "Short."
    assert is_thin(summary_only) and is_thin(full), "a 640-character page is still a stub"
    rich = Entry("f", "g", "T", "https://x/a", summary="Short.", content="<p>" + "Body. " * 400 + "</p>")
    assert build_article(rich, src, "Tiny stub page. " * 15).text_source is TextSource.FEED_CONTENT
