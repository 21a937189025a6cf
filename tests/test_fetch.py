"""The guarded fetcher against a real loopback server."""

from __future__ import annotations

import gzip

import pytest

from huntfeed.errors import BlockedURLError, FetchError, HTTPStatusError, TooLargeError
from huntfeed.feeds.fetch import Fetcher, FetchSettings, check_url
from tests.httpserver import LoopbackServer, Reply

pytestmark = pytest.mark.integration


def fetcher(server: LoopbackServer, **kw: object) -> Fetcher:
    return Fetcher(FetchSettings(allow_hosts=frozenset({server.host}), **kw))  # type: ignore[arg-type]


def test_conditional_get_answers_304(http_server: LoopbackServer) -> None:
    def route(handler):  # type: ignore[no-untyped-def]
        if handler.headers.get("If-None-Match") == '"v1"':
            return Reply(304, headers={"ETag": '"v1"'})
        return Reply(200, b"<rss/>", {"ETag": '"v1"', "Last-Modified": "Wed, 25 Nov 2026 10:00:00 GMT"})

    http_server.routes["/feed"] = route
    with fetcher(http_server) as f:
        first = f.get(http_server.url("/feed"))
        assert first.status == 200 and first.content == b"<rss/>" and first.etag == '"v1"'
        again = f.get(http_server.url("/feed"), etag=first.etag, last_modified=first.last_modified)
    assert again.not_modified and again.content == b""
    assert http_server.hits[1][1].get("If-Modified-Since") == "Wed, 25 Nov 2026 10:00:00 GMT"


def test_loopback_is_blocked_unless_allowed(http_server: LoopbackServer) -> None:
    http_server.routes["/x"] = Reply(200, b"ok")
    with Fetcher() as f, pytest.raises(BlockedURLError, match="--allow-host"):
        f.get(http_server.url("/x"))
    assert http_server.hits == []  # refused before any request


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.5/",
        "http://[::1]/",
        "http://0.0.0.0/",
        "file:///etc/passwd",
        "gopher://example.org/",
        "http://[::ffff:127.0.0.1]/",
    ],
)
def test_guard_refuses_internal_targets(url: str) -> None:
    with pytest.raises(BlockedURLError):
        check_url(url, resolve=lambda host: ["93.184.215.14"])


def test_guard_checks_what_a_name_resolves_to() -> None:
    with pytest.raises(BlockedURLError, match="192.168.1.10"):
        check_url("http://intranet.example/", resolve=lambda host: ["192.168.1.10"])
    check_url("http://public.example/", resolve=lambda host: ["93.184.215.14"])


def test_redirect_to_metadata_address_is_blocked(http_server: LoopbackServer) -> None:
    http_server.routes["/r"] = Reply(302, headers={"Location": "http://169.254.169.254/latest/"})
    with fetcher(http_server) as f, pytest.raises(BlockedURLError):
        f.get(http_server.url("/r"))


def test_redirect_to_file_scheme_is_blocked(http_server: LoopbackServer) -> None:
    http_server.routes["/r"] = Reply(301, headers={"Location": "file:///etc/passwd"})
    with fetcher(http_server) as f, pytest.raises(BlockedURLError, match="scheme"):
        f.get(http_server.url("/r"))


def test_redirect_loop_stops(http_server: LoopbackServer) -> None:
    http_server.routes["/a"] = Reply(302, headers={"Location": "/b"})
    http_server.routes["/b"] = Reply(302, headers={"Location": "/a"})
    with fetcher(http_server) as f, pytest.raises(FetchError, match="redirects"):
        f.get(http_server.url("/a"))


def test_redirect_followed_and_recorded(http_server: LoopbackServer) -> None:
    http_server.routes["/old"] = Reply(301, headers={"Location": "/new"})
    http_server.routes["/new"] = Reply(200, b"moved here")
    with fetcher(http_server) as f:
        result = f.get(http_server.url("/old"))
    assert result.content == b"moved here" and result.redirects == (http_server.url("/old"),)


def test_declared_size_over_cap(http_server: LoopbackServer) -> None:
    http_server.routes["/big"] = Reply(200, b"x" * 2048)
    with fetcher(http_server, max_bytes=1024) as f, pytest.raises(TooLargeError):
        f.get(http_server.url("/big"))


def test_undeclared_stream_over_cap(http_server: LoopbackServer) -> None:
    # No Content-Length: the cap must stop the read, not the server running dry (it never would).
    def forever():  # type: ignore[no-untyped-def]
        while True:
            yield b"A" * 65536

    http_server.routes["/endless"] = Reply(200, forever)
    with fetcher(http_server, max_bytes=1_000_000) as f, pytest.raises(TooLargeError):
        f.get(http_server.url("/endless"))


def test_gzip_bomb_stops_at_decoded_cap(http_server: LoopbackServer) -> None:
    bomb = gzip.compress(b"\0" * 50_000_000)  # ~50 KB on the wire, 50 MB decoded
    http_server.routes["/bomb"] = Reply(200, bomb, {"Content-Encoding": "gzip"})
    with fetcher(http_server, max_bytes=1_000_000) as f, pytest.raises(TooLargeError):
        f.get(http_server.url("/bomb"))


def test_trickling_server_hits_the_deadline(http_server: LoopbackServer) -> None:
    def trickle():  # type: ignore[no-untyped-def]
        for _ in range(1000):
            yield b"x"

    http_server.routes["/slow"] = Reply(200, trickle, delay_per_chunk=0.05)
    with fetcher(http_server, deadline=0.5, timeout=5) as f, pytest.raises(FetchError, match="longer than"):
        f.get(http_server.url("/slow"))


def test_error_status_is_specific(http_server: LoopbackServer) -> None:
    http_server.routes["/down"] = Reply(503, b"maintenance")
    with fetcher(http_server) as f, pytest.raises(HTTPStatusError) as info:
        f.get(http_server.url("/down"))
    assert info.value.status == 503 and http_server.url("/down") in str(info.value)


def test_lying_charset_falls_back(http_server: LoopbackServer) -> None:
    http_server.routes["/c"] = Reply(200, "café".encode(), {"Content-Type": "text/html; charset=x-no-such"})
    with fetcher(http_server) as f:
        assert f.get(http_server.url("/c")).text == "café"
