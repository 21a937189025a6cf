"""Unit-level guards added for hostile input: each test names the attack it stops."""

from __future__ import annotations

import socket

import pytest

from huntfeed.errors import BlockedURLError, FetchError, ParseError
from huntfeed.feeds.article import page_text
from huntfeed.feeds.fetch import Fetcher, FetchResult, FetchSettings, check_url
from huntfeed.feeds.parse import clean_text, parse_feed
from tests.hostile.rawserver import RawServer
from tests.httpserver import LoopbackServer, Reply

pytestmark = [pytest.mark.hostile, pytest.mark.timeout(60)]

PUBLIC = ["93.184.215.14"]


def _rss(items: str, head: str = "") -> bytes:
    return f"<?xml version='1.0'?>{head}<rss version='2.0'><channel><title>T</title>{items}</channel></rss>".encode()


@pytest.mark.parametrize("url", ["http://[::1", "http://example.com:99999/", "http://ex\x00ample.com/"])
def test_malformed_url_is_a_blocked_url_not_a_crash(url: str) -> None:
    with pytest.raises(BlockedURLError, match="malformed URL"):
        check_url(url, resolve=lambda h: PUBLIC)


def test_malformed_redirect_location_is_a_fetch_error(http_server: LoopbackServer) -> None:
    http_server.routes["/r"] = Reply(302, headers={"Location": "http://[::1"})
    with Fetcher(FetchSettings(allow_hosts=frozenset({http_server.host}))) as f, \
            pytest.raises(FetchError, match="(?i)invalid URL in location|malformed URL"):
        f.get(http_server.url("/r"))


def test_megabyte_location_is_trimmed_in_errors(http_server: LoopbackServer) -> None:
    http_server.routes["/r"] = Reply(302, headers={"Location": "http://10.0.0.1/" + "a" * 60_000})
    with Fetcher(FetchSettings(allow_hosts=frozenset({http_server.host}))) as f, pytest.raises(BlockedURLError) as info:
        f.get(http_server.url("/r"))
    assert len(str(info.value)) < 1000


def test_header_trickle_is_cut_at_the_deadline() -> None:
    # One header byte every 0.2 s never trips a per-read timeout; only the watchdog stops it.
    with RawServer() as raw:
        raw.routes["/h"] = raw.trickle(b"HTTP/1.1 200 OK\r\n", b"X", 0.2)
        settings = FetchSettings(timeout=1, deadline=1.5, allow_hosts=frozenset({raw.host}))
        with Fetcher(settings) as f, pytest.raises(FetchError, match="longer than"):
            f.get(raw.url("/h"))


def test_unrequested_content_encoding_is_refused(http_server: LoopbackServer) -> None:
    http_server.routes["/br"] = Reply(200, b"\x1b\xff\xff" * 100, {"Content-Encoding": "br"})
    with Fetcher(FetchSettings(allow_hosts=frozenset({http_server.host}))) as f, \
            pytest.raises(FetchError, match="unsupported Content-Encoding 'br'"):
        f.get(http_server.url("/br"))


def test_fetcher_still_works_after_a_watchdog_shutdown(http_server: LoopbackServer) -> None:
    http_server.routes["/ok"] = Reply(200, b"fine")
    with RawServer() as raw:
        raw.routes["/h"] = raw.trickle(b"HTTP/1.1 200 OK\r\n", b"X", 0.2)
        hosts = frozenset({raw.host, http_server.host})
        with Fetcher(FetchSettings(timeout=1, deadline=1, allow_hosts=hosts)) as f:
            with pytest.raises(FetchError):
                f.get(raw.url("/h"))
            assert f.get(http_server.url("/ok")).content == b"fine"


@pytest.mark.parametrize("ref", ["&#xD800;", "&#0;", "&#x110000;", "&#99999999999;", "&#xDFFF;"])
@pytest.mark.parametrize("wellformed", [True, False])
def test_crafted_char_refs_do_not_crash_feedparser(ref: str, wellformed: bool) -> None:
    body = _rss(f"<item><title>a{ref}b</title><link>http://x.example/a</link></item>"
                + ("" if wellformed else "<broken"))
    feed = parse_feed(body, "http://x.example/feed")
    assert feed.entries[0].title.startswith("a") and feed.entries[0].title.endswith("b")
    feed.entries[0].title.encode("utf-8")  # no lone surrogate survives


@pytest.mark.parametrize("doctype", [
    '<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    '<!DOCTYPE rss [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>',
])
def test_entity_declarations_are_refused(doctype: str) -> None:
    with pytest.raises(ParseError, match="declares XML entities"):
        parse_feed(_rss("<item><title>x</title></item>", doctype), "http://x.example/feed")


def test_an_article_about_xxe_is_not_refused() -> None:
    body = _rss('<item><title>XXE explained</title><description>&lt;!DOCTYPE x [&lt;!ENTITY y SYSTEM '
                '"file:///etc/passwd"&gt;]&gt;</description></item>')
    assert parse_feed(body, "http://x.example/feed").entries[0].title == "XXE explained"


def test_odd_items_leave_notes() -> None:
    items = ("<item><guid>g</guid><title>one</title><pubDate>not a date</pubDate></item>"
             "<item><guid>g</guid><title>two</title></item>"
             "<item><guid>h</guid><title>three</title><pubDate>Fri, 01 Jan 2100 00:00:00 GMT</pubDate></item>")
    feed = parse_feed(_rss(items), "http://x.example/feed")
    notes = " | ".join(feed.notes)
    assert "1 item(s) repeat a GUID" in notes and "'g'" in notes
    assert "dated in the future (first: 2100-01-01)" in notes
    assert "unparsable date (first: 'not a date')" in notes
    assert [e.title for e in feed.entries] == ["one", "three"]


def test_control_characters_never_reach_entries() -> None:
    body = _rss("<item><title>a\x1b]0;pwned\x07b\x00c</title><link>http://x.example/\x1b</link></item>")
    entry = parse_feed(body, "http://x.example/feed").entries[0]
    assert entry.title == "a]0;pwnedbc" and entry.link == "http://x.example/"
    assert clean_text("ok\ttab\nline") == "ok\ttab\nline"


@pytest.mark.parametrize(("body", "ctype", "says"), [
    (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "text/html", "a PNG image"),
    (b"%PDF-1.7\n...", "text/html", "a PDF"),
    (b"MZ\x90\x00\x03", "text/html; charset=utf-8", "a Windows executable"),
    (b"<html>\x00\x00\x00</html>", "text/html", "binary data"),
    (b"{\"a\": 1}", "application/json", "application/json, not HTML"),
    (b"<html><body>" + b"<div>" * 50_000 + b"x" + b"</div>" * 50_000 + b"</body></html>", "text/html",
     "no readable main text"),
])
def test_pages_that_are_not_html_text_say_what_they_are(body: bytes, ctype: str, says: str) -> None:
    page = FetchResult(url="http://x.example/p", status=200, content=body, content_type=ctype)
    with pytest.raises(ParseError, match=says):
        page_text(page)


def test_raw_server_garbage_is_a_protocol_error() -> None:
    def garbage(conn: socket.socket) -> None:
        conn.sendall(b"\x00\xffSSH-2.0-not-http\r\n\r\n")

    with RawServer() as raw:
        raw.routes["/g"] = garbage
        with Fetcher(FetchSettings(timeout=2, allow_hosts=frozenset({raw.host}))) as f, \
                pytest.raises(FetchError, match="RemoteProtocolError"):
            f.get(raw.url("/g"))


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,<script>x</script>", "file:///etc/passwd",
                                 "JaVaScRiPt:alert(1)", "vbscript:msgbox", "//evil.example/"])
def test_markdown_never_makes_a_non_web_link_clickable(url: str) -> None:
    from huntfeed.render.markdown import md_url

    out = md_url(url)
    assert not out.startswith("<") and out.endswith("(not a web link)")


def test_markdown_web_links_cannot_break_out_of_the_autolink() -> None:
    from huntfeed.render.markdown import md_url

    assert md_url("https://x.example/a b>c<d`e\\f") == "<https://x.example/a%20b%3Ec%3Cd%60e%5Cf>"


def test_markdown_text_drops_terminal_escapes() -> None:
    from huntfeed.render.markdown import md_code, md_fence, md_text

    for out in (md_text("a\x1b[2Jb\x00"), md_code("a\x1b[2Jb"), md_fence("a\x1b]0;x\x07b")):
        assert "\x1b" not in out and "\x00" not in out and "\x07" not in out


def test_console_helpers_neutralise_markup_and_controls() -> None:
    import io

    from rich.console import Console

    from huntfeed.cli.common import esc, safe

    console = Console(file=io.StringIO(), force_terminal=True)
    console.print(safe("[/bold] \x1b]0;owned\x07 \u202etxt.exe"))
    console.print(f"[yellow]issue[/] {esc('[link=file:///etc/passwd]x[/link] [/]')}")
    out = console.file.getvalue()  # type: ignore[attr-defined]
    assert "[/bold]" in out and "owned" in out and "]0;" in out and "\u202e" not in out
    assert "\x1b]0;" not in out and "\x1b]8;" not in out  # no title change, no hyperlink escape


def test_articles_never_carry_control_characters() -> None:
    from huntfeed.feeds.article import build_article
    from huntfeed.model import Entry, Source

    entry = Entry(feed_url="http://x.example/f", guid="g", title="t\x00itle\x1b[2J", link="http://x.example/a\x00",
                  summary="s\x00um", source_name="n\x00")
    article = build_article(entry, Source(url="http://x.example/f"), "page\x00 text " * 40)
    for value in (article.title, article.text, article.summary, article.url, article.source_name):
        assert "\x00" not in value and "\x1b" not in value


def test_dns_rebinding_is_caught_at_connect_time(http_server: LoopbackServer) -> None:
    # The name answers a public address to the guard, then loopback when the client connects.
    http_server.routes["/secret"] = Reply(200, b"internal data")
    answers = iter([PUBLIC, ["127.0.0.1"]])
    url = f"http://rebind.example:{http_server.port}/secret"
    with Fetcher(resolve=lambda host: next(answers)) as f, pytest.raises(BlockedURLError, match="at connect time"):
        f.get(url)
    assert http_server.hits == []

