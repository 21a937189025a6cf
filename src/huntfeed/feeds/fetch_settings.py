"""A fetcher's limits, apart from the fetcher: reading the settings (``huntfeed.config``) must not
import the HTTP stack (httpx and httpcore, 0.1 s of every command's start that never fetches)."""

from __future__ import annotations

from dataclasses import dataclass

from huntfeed import __version__

USER_AGENT = f"huntfeed/{__version__} (+https://github.com/huntfeed/huntfeed)"


@dataclass(frozen=True, slots=True)
class FetchSettings:
    """Limits for one fetcher; the defaults suit public feeds and article pages."""

    timeout: float = 20.0
    deadline: float = 30.0  # whole response (headers and body, every redirect hop), however slowly it trickles
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    per_host: int = 2  # requests in flight to one host at once, however many feeds run side by side
    allow_hosts: frozenset[str] = frozenset()  # host or host:port let past the SSRF guard
    user_agent: str = USER_AGENT
