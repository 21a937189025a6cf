"""A per-host politeness limit shared by every worker: at most one request per host per interval.

The slot is a Redis key with a millisecond expiry, taken with SET NX: whichever worker sets it
may fetch now; the others learn how long until the slot frees up.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import redis


def host_interval() -> float:
    """Seconds between two requests to one host ($HUNTFEED_HOST_INTERVAL, default 1)."""
    return float(os.environ.get("HUNTFEED_HOST_INTERVAL", "1.0"))


class HostGate:
    """Hands out per-host request slots through Redis."""

    def __init__(self, redis_url: str, interval: float | None = None) -> None:
        self.client = redis.Redis.from_url(redis_url)
        self.interval = host_interval() if interval is None else interval

    def wait_for(self, url: str) -> float:
        """0 when the caller may fetch ``url`` now (slot taken), else seconds until it may try again."""
        host = (urlsplit(url).netloc or url).lower()
        if self.interval <= 0:
            return 0.0
        if self.client.set(f"huntfeed:host:{host}", b"1", nx=True, px=max(1, int(self.interval * 1000))):
            return 0.0
        ttl = self.client.pttl(f"huntfeed:host:{host}")
        return max(int(ttl) if isinstance(ttl, int) else 0, 1) / 1000.0
