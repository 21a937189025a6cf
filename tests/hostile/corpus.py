"""The hostile corpus: feeds and pages written by someone who knows a SOC will read them.

Each Case installs its routes on the loopback servers and returns the URL under test: a feed
URL (``level="feed"``) or an article link carried by one shared feed (``level="article"``).
``expect`` is a regular expression the Issue recorded for that URL must match; a case with
``expect=None`` must be processed without an issue and pass its ``check``. Big bodies are
generators, so the test never holds what the server sends.
"""

from __future__ import annotations

import gzip
import os
import random
import socket
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from tests.hostile.rawserver import RawServer
from tests.httpserver import LoopbackServer, Reply

MB = 1024 * 1024


@dataclass
class Env:
    """The servers a case installs its routes on."""

    http: LoopbackServer
    raw: RawServer


@dataclass(frozen=True)
class Case:
    id: str
    level: str  # feed | article
    what: str
    install: Callable[[Env, str], str]  # (env, route prefix) -> URL under test
    expect: str | None  # regex the recorded Issue must match; None: no issue, see check
    check: Callable[[Any, str], None] | None = None  # (run result, url) -> asserts


# ---- builders --------------------------------------------------------------------------------

def rss(items: str, title: str = "Hostile feed", head: str = "<?xml version='1.0' encoding='utf-8'?>") -> bytes:
    return f"{head}<rss version='2.0'><channel><title>{title}</title><link>http://h.example/</link>{items}</channel></rss>".encode()


def item(guid: str, title: str = "", link: str = "", summary: str = "", extra: str = "") -> str:
    link_el = f"<link>{xml_escape(link)}</link>" if link else ""
    return (f"<item><guid>{guid}</guid><title>{title or 'item ' + guid}</title>{link_el}"
            f"<description>{summary or 'summary of ' + guid}</description>{extra}</item>")


GOOD_PAGE = ("<html><head><title>Good report</title></head><body><article><h1>Good report</h1>"
             + "".join(f"<p>In step {i} the operators used PowerShell to download a second stage from a staging "
                       "server and created a scheduled task for persistence. Defenders should hunt for encoded "
                       "commands.</p>" for i in range(12))
             + "</article></body></html>").encode()


def good_page(title: str) -> bytes:
    """GOOD_PAGE titled ``title`` with a paragraph of its own words.

    Pages that differ in their title only are near-duplicates, and the run rightly merges them into
    one story; tests about separate articles need texts that are really different.
    """
    rng = random.Random(title)
    words = " ".join("".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(4, 9)))
                     for _ in range(220))
    return GOOD_PAGE.replace(b"Good report", title.encode()).replace(
        b"</article>", f"<p>Field notes: {words}.</p></article>".encode())


def _route(env: Env, path: str, reply: Reply | Callable[..., Reply]) -> str:
    env.http.routes[path] = reply
    return env.http.url(path)


def feed_reply(body: bytes, ctype: str = "application/rss+xml; charset=utf-8", **headers: str) -> Reply:
    return Reply(200, body, {"Content-Type": ctype, **headers})


def page_reply(body: bytes, ctype: str = "text/html; charset=utf-8", **headers: str) -> Reply:
    return Reply(200, body, {"Content-Type": ctype, **headers})


def endless(chunk: bytes = b"A" * 65536, first: bytes = b"") -> Callable[[], Iterator[bytes]]:
    def gen() -> Iterator[bytes]:
        if first:
            yield first
        while True:
            yield chunk

    return gen


def single_line(total: int, first: bytes, fill: bytes = b"A") -> Callable[[], Iterator[bytes]]:
    """``total`` bytes with no newline, produced 64 KiB at a time."""

    def gen() -> Iterator[bytes]:
        yield first
        block = fill * 65536
        sent = len(first)
        while sent < total:
            yield block
            sent += len(block)

    return gen


def trickle(first: bytes) -> Callable[[], Iterator[bytes]]:
    def gen() -> Iterator[bytes]:
        yield first
        for _ in range(100_000):
            yield b" "

    return gen


@lru_cache(maxsize=1)
def gzip_bomb() -> bytes:
    return gzip.compress(b"\0" * (64 * MB), compresslevel=9)  # ~64 KB on the wire


@lru_cache(maxsize=1)
def deflate_bomb() -> bytes:
    return zlib.compress(b"\0" * (64 * MB), 9)


BILLION_LAUGHS = ('<!DOCTYPE rss [<!ENTITY lol "lol">'
                  + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
                            for i in range(1, 10))
                  + "]>")


def redirect(env: Env, prefix: str, target: str) -> str:
    return _route(env, prefix, Reply(302, headers={"Location": target}))


def raw_route(env: Env, prefix: str, behaviour: Callable[[socket.socket], None]) -> str:
    env.raw.routes[prefix] = behaviour
    return env.raw.url(prefix)


def _send(data: bytes) -> Callable[[socket.socket], None]:
    def run(conn: socket.socket) -> None:
        conn.sendall(data)

    return run


def _silent(env: Env) -> Callable[[socket.socket], None]:
    def run(conn: socket.socket) -> None:
        while not env.raw.stopped():
            if conn.recv(1) == b"":
                return

    return run


# ---- feed-level cases --------------------------------------------------------------------------

def _feed(body: bytes, **kw: str) -> Callable[[Env, str], str]:
    return lambda env, p: _route(env, p, feed_reply(body, **kw))


def _stream_feed(gen: Callable[[], Iterator[bytes]], **headers: str) -> Callable[[Env, str], str]:
    return lambda env, p: _route(env, p, Reply(200, gen, {"Content-Type": "application/rss+xml", **headers}))


def _items(n: int, prefix: str = "x") -> str:
    return "".join(item(f"{prefix}{i}") for i in range(n))


def _hundred_k() -> Callable[[], Iterator[bytes]]:
    def gen() -> Iterator[bytes]:
        yield b"<?xml version='1.0'?><rss version='2.0'><channel><title>huge</title>"
        for start in range(0, 100_000, 5000):
            yield "".join(f"<item><title>n{i}</title></item>" for i in range(start, start + 5000)).encode()
        yield b"</channel></rss>"

    return gen


def _nested_xml() -> Callable[[], Iterator[bytes]]:
    def gen() -> Iterator[bytes]:
        yield rss(item("deep-ok"))[:-len("</channel></rss>")] + b"<item><title>deep</title><description>"
        yield b"<b>" * 50_000 + b"x" + b"</b>" * 50_000
        yield b"</description></item></channel></rss>"

    return gen


FEED_CASES: list[Case] = [
    Case("xml-malformed", "feed", "mismatched tags; items before the break are read leniently",
         _feed(rss(item("m1") + "<item><title>a<b></title></link></item>")), r"not well-formed .*mismatched tag"),
    Case("xml-truncated", "feed", "body cut in the middle of an item",
         _feed(rss(item("t1") + item("t2"))[:-40]), r"not well-formed .*read \d+ item\(s\) leniently"),
    Case("xml-garbage", "feed", "random bytes served as RSS",
         _feed(os.urandom(4096).replace(b"<", b"")), r"not a readable feed|not a feed"),
    Case("xml-empty", "feed", "200 with an empty body", _feed(b""), r"not a readable feed|not a feed"),
    Case("xml-html-page", "feed", "an HTML page where the feed should be",
         _feed(b"<html><body><p>Welcome!</p></body></html>", ctype="text/html"), r"not a feed|not a readable feed"),
    Case("xml-json", "feed", "JSON served as a feed", _feed(b'{"items": [1, 2, 3]}', ctype="application/json"),
         r"not a readable feed|not a feed"),
    Case("xml-binary", "feed", "a PNG served as application/rss+xml",
         _feed(b"\x89PNG\r\n\x1a\n" + os.urandom(2048)), r"not a readable feed|not a feed"),
    Case("xxe-file", "feed", "external entity pointing at /etc/passwd",
         _feed(rss(item("x1", title="a&xxe;b"), head='<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM '
                   '"file:///etc/passwd">]>')), r"declares XML entities"),
    Case("xxe-http", "feed", "external entity pointing back at an internal URL",
         lambda env, p: _route(env, p, feed_reply(rss(item("x2", title="a&xxe;b"), head=(
             f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "{env.http.url(p + "/probe")}">]>')))),
         r"declares XML entities"),
    Case("billion-laughs", "feed", "nested entity expansion (10^9 'lol')",
         _feed(rss(item("b1", title="&lol9;"), head='<?xml version="1.0"?>' + BILLION_LAUGHS)), r"declares XML entities"),
    Case("quadratic-blowup", "feed", "one 50 KB entity referenced 5,000 times",
         _feed(rss(item("q1", title="&a;" * 5000), head='<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "'
                   + "x" * 50_000 + '">]>')), r"declares XML entities"),
    Case("gzip-bomb", "feed", "64 MB of zeros in ~64 KB of gzip",
         lambda env, p: _route(env, p, Reply(200, gzip_bomb(), {"Content-Encoding": "gzip"})), r"byte cap"),
    Case("deflate-bomb", "feed", "64 MB of zeros in ~64 KB of deflate",
         lambda env, p: _route(env, p, Reply(200, deflate_bomb(), {"Content-Encoding": "deflate"})), r"byte cap"),
    Case("brotli-bomb", "feed", "a brotli body nobody asked for (never decoded)",
         lambda env, p: _route(env, p, Reply(200, b"\x1b\xff\xff\x0f" * 64, {"Content-Encoding": "br"})),
         r"unsupported Content-Encoding 'br'"),
    Case("declared-5gb", "feed", "Content-Length: 5 GB, then an endless body",
         _stream_feed(endless(), **{"Content-Length": str(5 * 1024 * MB)}), r"declares \d+ bytes, over the"),
    Case("endless-body", "feed", "no length, bytes for ever (several GB if let through)",
         _stream_feed(endless()), r"passed the \d+-byte cap"),
    Case("line-100mb", "feed", "a single 100 MB line, streamed",
         _stream_feed(single_line(100 * MB, b"<rss version='2.0'><channel><title>")), r"passed the \d+-byte cap"),
    Case("trickle-body", "feed", "one byte at a time, for ever",
         lambda env, p: _route(env, p, Reply(200, trickle(b"<rss>"), delay_per_chunk=0.05)), r"took longer than"),
    Case("trickle-headers", "feed", "status line, then one header byte every 0.2 s",
         lambda env, p: raw_route(env, p, env.raw.trickle(b"HTTP/1.1 200 OK\r\n", b"X", 0.2)), r"took longer than"),
    Case("silent-server", "feed", "accepts the connection and never answers",
         lambda env, p: raw_route(env, p, _silent(env)), r"timed out|took longer than"),
    Case("drop-mid-response", "feed", "declares 100 KB, sends 1 KB, hangs up",
         lambda env, p: raw_route(env, p, _send(b"HTTP/1.1 200 OK\r\nContent-Length: 102400\r\n\r\n" + b"<rss>" * 200)),
         r"RemoteProtocolError|incomplete|peer closed"),
    Case("not-http", "feed", "the server speaks something else",
         lambda env, p: raw_route(env, p, _send(b"SSH-2.0-OpenSSH_9.6\r\n\x00\xff\r\n\r\n")), r"RemoteProtocolError"),
    Case("huge-headers", "feed", "200 KB of response headers",
         lambda env, p: raw_route(env, p, _send(b"HTTP/1.1 200 OK\r\n" + b"X-Pad: " + b"a" * 200_000 + b"\r\n\r\n")),
         r"RemoteProtocolError"),
    Case("bad-chunking", "feed", "chunked encoding with a nonsense chunk size",
         lambda env, p: raw_route(env, p, _send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nZZZZ\r\nabc\r\n")),
         r"RemoteProtocolError"),
    Case("redirect-loop", "feed", "/a -> /b -> /a",
         lambda env, p: (redirect(env, p + "/b", p), redirect(env, p, p + "/b"))[1], r"more than \d+ redirects"),
    Case("redirect-chain", "feed", "twelve hops to nowhere",
         lambda env, p: [redirect(env, f"{p}/{i}", f"{p}/{i + 1}") for i in range(12)][0], r"more than \d+ redirects"),
    Case("redirect-file", "feed", "redirect to file:///etc/passwd",
         lambda env, p: redirect(env, p, "file:///etc/passwd"), r"scheme 'file' is not fetched"),
    Case("redirect-gopher", "feed", "redirect to gopher://",
         lambda env, p: redirect(env, p, "gopher://127.0.0.1:25/"), r"scheme 'gopher' is not fetched"),
    Case("redirect-metadata", "feed", "redirect to the cloud metadata address",
         lambda env, p: redirect(env, p, "http://169.254.169.254/latest/meta-data/"),
         r"non-public address 169\.254\.169\.254"),
    Case("redirect-malformed", "feed", "a Location that is not a URL",
         lambda env, p: redirect(env, p, "http://[::1"), r"(?i)invalid URL in location|malformed URL"),
    Case("redirect-no-location", "feed", "302 without Location",
         lambda env, p: _route(env, p, Reply(302)), r"without Location"),
    Case("status-500", "feed", "the server fails", lambda env, p: _route(env, p, Reply(500, b"oops")), r"HTTP 500"),
    Case("status-404", "feed", "the feed is gone", lambda env, p: _route(env, p, Reply(404)), r"HTTP 404"),
    Case("charset-lies", "feed", "declares UTF-8, is windows-1252",
         _feed(rss(item("c1", title="caf\u00e9 \u201cquoted\u201d")).decode().encode("cp1252")),
         r"not well-formed .*(CharacterEncoding|encoding)"),
    Case("invalid-utf8", "feed", "invalid UTF-8 sequences inside titles",
         _feed(rss(item("u1", title="bad XX bytes")).replace(b"XX", b"\xff\xfe\xc0\xaf")),
         r"not well-formed"),
    Case("charrefs-surrogates", "feed", "&#xD800; &#0; &#x110000; (crashed feedparser)",
         _feed(rss(item("s1", title="a&#xD800;b&#0;c&#x110000;d") + "<broken")), r"not well-formed"),
    Case("control-chars", "feed", "terminal escape sequences and NUL in titles",
         _feed(rss(item("e1", title="\x1b]0;owned\x07\x1b[2Jtitle\x00x"))), r"not well-formed"),
    Case("items-100k", "feed", "100,000 items", _stream_feed(_hundred_k()), r"lists 100000 items; only the first"),
    Case("duplicate-guids", "feed", "three items share one GUID",
         _feed(rss(item("dup", title="first") + item("dup", title="second") + item("dup", title="third"))),
         r"2 item\(s\) repeat a GUID"),
    Case("future-dates", "feed", "items dated in 2100",
         _feed(rss(item("f1", extra="<pubDate>Fri, 01 Jan 2100 00:00:00 GMT</pubDate>"))), r"dated in the future"),
    Case("unparsable-dates", "feed", "dates that are not dates",
         _feed(rss(item("d1", extra="<pubDate>the day after tomorrow</pubDate>")
                   + item("d2", extra="<pubDate>Mon, 99 Foo 99999 99:99:99 GMT</pubDate>"))), r"unparsable date"),
    Case("nested-xml", "feed", "50,000 nested elements inside one item",
         _stream_feed(_nested_xml()), None),
]


# ---- article-level cases (items of one carrier feed) ---------------------------------------------

def _page(body: bytes, **kw: str) -> Callable[[Env, str], str]:
    return lambda env, p: _route(env, p, page_reply(body, **kw))


def _link(url: str) -> Callable[[Env, str], str]:
    return lambda env, p: url


SCRIPT_PAGE = ("<html><head><script>alert('head-script')</script></head><body><article><h1>Report</h1>"
               "<p>Intro <script>alert('body-script')</script><img src=x onerror=\"alert('onerror')\">"
               "<a href=\"javascript:alert('js-link')\">click</a> <svg onload=\"alert('svg')\"></svg>"
               "<iframe src=\"javascript:alert('iframe')\"></iframe></p>"
               + "".join(f"<p>On day {i} operators ran PowerShell with an encoded command to stage the payload on "
                         "the host.</p>" for i in range(10))
               + "</article></body></html>").encode()

INDICATOR_PAGE = ("<html><body><article><h1>Crafted indicators</h1>"
                  + "<p>The actors staged on evil`]`(javascript:alert(1))`.example and "
                    "=HYPERLINK(\"http://x.example\")|calc.exe!A1 then beaconed to "
                    "203.0.113.7 and to bad\"domain'.example; the dropper hash is "
                    "d41d8cd98f00b204e9800998ecf8427e | <img src=x onerror=alert(1)> **bold** "
                    "[link](javascript:alert(2)) ``` fence ``` # heading ' OR 1=1 -- \"; DROP TABLE x;</p>"
                  + "".join(f"<p>Paragraph {i}: the crafted values above were seen in stage {i}.</p>" for i in range(8))
                  + "</article></body></html>").encode()


ARTICLE_CASES: list[Case] = [
    Case("page-500", "article", "the article page fails", lambda env, p: _route(env, p, Reply(500)),
         r"HTTP 500; used the feed's text"),
    Case("page-binary", "article", "a PNG served as text/html",
         _page(b"\x89PNG\r\n\x1a\n" + os.urandom(4096)), r"page is a PNG image, not HTML"),
    Case("page-pdf", "article", "a PDF served as text/html", _page(b"%PDF-1.7\n" + os.urandom(4096)),
         r"page is a PDF"),
    Case("page-nul", "article", "NUL bytes in an HTML page", _page(b"<html>\x00\x00\x00<body>x</body></html>"),
         r"page is binary data"),
    Case("page-wrong-type", "article", "application/octet-stream", _page(os.urandom(1024), ctype="application/octet-stream"),
         r"(page is application/octet-stream|page is binary data|page is)"),
    Case("page-nested", "article", "100,000 nested <div>s",
         _page(b"<html><body>" + b"<div>" * 100_000 + b"deep" + b"</div>" * 100_000 + b"</body></html>"),
         r"no readable main text|too deeply nested"),
    Case("page-line-100mb", "article", "a single 100 MB line, streamed",
         lambda env, p: _route(env, p, Reply(200, single_line(100 * MB, b"<html><body><p>"),
                                             {"Content-Type": "text/html"})), r"passed the \d+-byte cap"),
    Case("page-gzip-bomb", "article", "a gzip bomb as the article",
         lambda env, p: _route(env, p, Reply(200, gzip_bomb(), {"Content-Encoding": "gzip", "Content-Type": "text/html"})),
         r"byte cap"),
    Case("page-trickle", "article", "an article page that never finishes",
         lambda env, p: _route(env, p, Reply(200, trickle(b"<html>"), {"Content-Type": "text/html"},
                                             delay_per_chunk=0.05)), r"took longer than"),
    Case("page-drop", "article", "connection dropped mid-page",
         lambda env, p: raw_route(env, p, _send(b"HTTP/1.1 200 OK\r\nContent-Length: 50000\r\n\r\n<html>")),
         r"RemoteProtocolError|incomplete|peer closed"),
    Case("page-bad-gzip", "article", "Content-Encoding: gzip over plain bytes",
         lambda env, p: _route(env, p, Reply(200, b"not gzip at all", {"Content-Encoding": "gzip"})),
         r"DecodingError"),
    Case("link-loopback", "article", "link to 127.0.0.1 on another port",
         _link("http://127.0.0.1:9/admin"), r"non-public address 127\.0\.0\.1"),
    Case("link-metadata", "article", "link to 169.254.169.254", _link("http://169.254.169.254/latest/meta-data/iam/"),
         r"non-public address 169\.254\.169\.254"),
    Case("link-private-10", "article", "link into 10.0.0.0/8", _link("http://10.1.2.3/"), r"non-public address 10\.1\.2\.3"),
    Case("link-private-192", "article", "link into 192.168.0.0/16", _link("http://192.168.1.1:8080/"),
         r"non-public address 192\.168\.1\.1"),
    Case("link-ipv6-loopback", "article", "link to [::1]", _link("http://[::1]:8080/"), r"non-public address ::1"),
    Case("link-ipv4-mapped", "article", "link to [::ffff:127.0.0.1]", _link("http://[::ffff:127.0.0.1]/"),
         r"non-public address"),
    Case("link-decimal-ip", "article", "link to http://2130706433/ (127.0.0.1 as one number)",
         _link("http://2130706433/"), r"non-public address 127\.0\.0\.1"),
    Case("link-localhost", "article", "link to an internal name (localhost)", _link("http://localhost:9/"),
         r"non-public address (127\.0\.0\.1|::1)"),
    Case("link-internal-name", "article", "link to a name that resolves into 10/8",
         _link("http://intranet.corp.example/wiki"), r"non-public address 10\.20\.30\.40"),
    Case("link-file", "article", "link to file:///etc/passwd", _link("file:///etc/passwd"),
         r"scheme 'file' is not fetched"),
    Case("link-javascript", "article", "link to javascript:", _link("javascript:alert(document.domain)"),
         r"scheme 'javascript' is not fetched"),
    Case("link-data", "article", "link to a data: URL", _link("data:text/html,<script>alert(1)</script>"),
         r"scheme 'data' is not fetched"),
    Case("redirect-to-metadata", "article", "allowed host redirects to 169.254.169.254",
         lambda env, p: redirect(env, p, "http://169.254.169.254/latest/"), r"non-public address 169\.254\.169\.254"),
    Case("redirect-to-loopback", "article", "allowed host redirects to another loopback port",
         lambda env, p: redirect(env, p, "http://127.0.0.1:9/internal"), r"non-public address 127\.0\.0\.1"),
    Case("redirect-to-file", "article", "allowed host redirects to file://",
         lambda env, p: redirect(env, p, "file:///etc/shadow"), r"scheme 'file' is not fetched"),
    Case("redirect-to-internal-name", "article", "allowed host redirects to an internal name",
         lambda env, p: redirect(env, p, "http://metadata.google.internal/computeMetadata/v1/"),
         r"non-public address 169\.254\.169\.254"),
    Case("page-scripts", "article", "scripts, event handlers and javascript: links in the article", _page(SCRIPT_PAGE),
         None),
    Case("page-charset-lies", "article", "declares UTF-8, is windows-1252",
         _page(good_page("Caf\u00e9 \u201cr\u00e9port\u201d").decode().encode("cp1252")), None),
    Case("page-indicators", "article", "indicators crafted to break Markdown, HTML, CSV, STIX and queries",
         _page(INDICATOR_PAGE), None),
]

CASES: list[Case] = FEED_CASES + ARTICLE_CASES

# Internal names the run's resolver knows (the sandbox has no DNS for them).
INTERNAL_NAMES = {
    "intranet.corp.example": ["10.20.30.40"],
    "metadata.google.internal": ["169.254.169.254"],
}
