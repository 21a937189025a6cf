"""Scale-mode pieces that need no worker: retry policy and the Redis-backed per-host limit."""

from __future__ import annotations

import time

import pytest

from huntfeed.errors import BlockedURLError, FetchError, HTTPStatusError, TooLargeError
from tests.redis_fixture import redis_server  # noqa: F401 - fixture
from tests.redis_server import RedisServer

pytestmark = [pytest.mark.celery, pytest.mark.xdist_group("scale")]


def test_transient_failures_are_the_retryable_ones() -> None:
    from huntfeed.distributed.work import transient

    assert transient(FetchError("timed out"))
    assert transient(HTTPStatusError("HTTP 503", status=503))
    assert transient(HTTPStatusError("HTTP 429", status=429))
    assert not transient(HTTPStatusError("HTTP 404", status=404))
    assert not transient(BlockedURLError("private address"))
    assert not transient(TooLargeError("too big"))


def test_backoff_grows_exponentially_and_is_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("celery")
    from huntfeed.distributed.tasks import backoff

    monkeypatch.setenv("HUNTFEED_RETRY_BASE", "2")
    waits = [backoff(n) for n in range(12)]
    assert 1.6 <= waits[0] <= 2.4 and 12.8 <= waits[3] <= 19.2
    assert all(w <= 360 for w in waits) and waits[11] >= 240


def test_host_gate_spaces_requests_per_host(redis_server: RedisServer) -> None:  # noqa: F811
    from huntfeed.distributed.politeness import HostGate

    gate = HostGate(redis_server.url, interval=0.5)
    other = HostGate(redis_server.url, interval=0.5)  # another worker, same Redis
    assert gate.wait_for("https://a.example/one") == 0
    wait = other.wait_for("https://a.example/two")
    assert 0 < wait <= 0.5, "the second request to a host within the interval must wait"
    assert other.wait_for("https://b.example/x") == 0, "other hosts are not held up"
    time.sleep(wait + 0.05)
    assert other.wait_for("https://a.example/two") == 0
