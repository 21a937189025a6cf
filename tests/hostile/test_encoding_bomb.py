"""Stacked Content-Encoding bombs: the decoded stream is capped as it is decoded, on every entry point."""

from __future__ import annotations

import functools
import json
import tracemalloc
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from huntfeed.cli import cli
from huntfeed.errors import FetchError, TooLargeError
from huntfeed.feeds.decode import PIECE, decode, finish, layers_for
from huntfeed.feeds.fetch import Fetcher, FetchSettings
from huntfeed.store import Store
from huntfeed.web.app import create_app
from tests.httpserver import LoopbackServer, Reply

pytestmark = [pytest.mark.hostile, pytest.mark.timeout(120)]

TOKEN = "bomb-token-0123456789abcdef"


def _gzip(chunks: list[bytes] | bytes, repeat: int = 1) -> bytes:
    obj = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    parts = [obj.compress(c) for c in (chunks if isinstance(chunks, list) else [chunks]) for _ in range(repeat)]
    return b"".join(parts) + obj.flush()


@functools.cache
def bomb() -> bytes:
    """256 MiB of zeros, gzipped twice: about 1 KB on the wire."""
    return _gzip(_gzip([b"\0" * (1 << 20)], repeat=256))


def test_decoder_round_trips_and_bounds_every_piece() -> None:
    body = b"<rss>" + bytes(range(256)) * 5000 + b"</rss>"
    for header in (["gzip"], ["gzip", "gzip"], ["deflate"], ["identity", "x-gzip"], []):
        data = body
        for name in header:
            if name == "deflate":
                data = zlib.compress(data)
            elif name != "identity":
                data = _gzip(data)
        layers = layers_for(header)
        pieces = [p for i in range(0, len(data), 700) for p in decode(layers, data[i:i + 700])]
        pieces += list(finish(layers))
        assert b"".join(pieces) == body, header
        assert max(map(len, pieces)) <= max(PIECE, 700)


def test_raw_deflate_is_still_read() -> None:
    obj = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    data = obj.compress(b"hello raw deflate") + obj.flush()
    layers = layers_for(["deflate"])
    assert b"".join([*decode(layers, data), *finish(layers)]) == b"hello raw deflate"


@pytest.mark.parametrize("header", ["gzip, gzip, gzip", "deflate, gzip, deflate", "gzip,gzip,gzip,gzip"])
def test_more_than_two_stacked_encodings_are_refused(http_server: LoopbackServer, header: str) -> None:
    http_server.routes["/f"] = Reply(200, _gzip(_gzip(_gzip(b"x"))), {"Content-Encoding": header})
    with Fetcher(FetchSettings(allow_hosts=frozenset({http_server.host}))) as f, \
            pytest.raises(FetchError, match="stacked Content-Encodings"):
        f.get(http_server.url("/f"))


def test_double_gzip_bomb_stops_at_the_cap_with_bounded_memory(http_server: LoopbackServer) -> None:
    # Before the fix httpx decoded the whole inner layer of one chunk in one call: 256 MiB held at once.
    http_server.routes["/bomb"] = Reply(200, bomb(), {"Content-Encoding": "gzip, gzip",
                                                      "Content-Type": "application/rss+xml"})
    settings = FetchSettings(allow_hosts=frozenset({http_server.host}))
    with Fetcher(settings) as f:
        tracemalloc.start()
        try:
            with pytest.raises(TooLargeError, match="cap"):
                f.get(http_server.url("/bomb"))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < settings.max_bytes * 2 + (8 << 20), f"peak {peak / 2**20:.0f} MiB"


def test_double_gzip_within_the_cap_is_read(http_server: LoopbackServer) -> None:
    body = b"<rss version='2.0'><channel><title>ok</title></channel></rss>"
    http_server.routes["/ok"] = Reply(200, _gzip(_gzip(body)), {"Content-Encoding": "gzip, gzip"})
    with Fetcher(FetchSettings(allow_hosts=frozenset({http_server.host}))) as f:
        assert f.get(http_server.url("/ok")).content == body


def _serve_bomb(http_server: LoopbackServer) -> str:
    http_server.routes["/bomb"] = Reply(200, bomb(), {"Content-Encoding": "gzip, gzip", "Content-Type": "text/html"})
    return http_server.url("/bomb")


def test_analyze_url_refuses_the_bomb(http_server: LoopbackServer) -> None:
    url = _serve_bomb(http_server)
    res = CliRunner().invoke(cli, ["analyze", url, "--allow-host", http_server.host])
    assert res.exit_code != 0
    assert isinstance(res.exception, TooLargeError) or "cap" in (res.stderr or "")


def test_api_analyze_refuses_the_bomb(http_server: LoopbackServer, tmp_path: Path) -> None:
    url = _serve_bomb(http_server)
    app = create_app(Store(f"sqlite:///{tmp_path / 'b.db'}"), token=TOKEN,
                     fetch_settings=FetchSettings(allow_hosts=frozenset({http_server.host})))
    with TestClient(app, base_url="http://127.0.0.1") as client:
        res = client.post("/api/analyze", json={"url": url}, headers={"Authorization": f"Bearer {TOKEN}"})
    assert res.status_code == 422 and "cap" in json.dumps(res.json())
