"""HTTP fetching with the guards a reader of strangers' content needs.

Every URL that comes from a feed or a redirect passes the SSRF guard (no loopback, private,
link-local or odd-scheme targets unless the host is explicitly allowed); bodies are read as a
stream under a byte cap that counts *decoded* bytes (so a gzip bomb stops at the cap) and an
overall deadline (so a server trickling bytes cannot hold a run forever). Redirects are
followed by hand so each hop is checked.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from urllib.parse import urljoin, urlsplit

import httpx

from huntfeed import __version__
from huntfeed.errors import BlockedURLError, FetchError, HTTPStatusError, TooLargeError

USER_AGENT = f"huntfeed/{__version__} (+https://github.com/huntfeed/huntfeed)"

Resolver = Callable[[str], Iterable[str]]


def _system_resolver(host: str) -> list[str]:
    try:
        return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, None)})
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"cannot resolve host {host!r}: {exc}") from exc


@dataclass(frozen=True, slots=True)
class FetchSettings:
    """Limits for one fetcher; the defaults suit public feeds and article pages."""

    timeout: float = 20.0
    deadline: float = 60.0  # whole response, however slowly it trickles
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    allow_hosts: frozenset[str] = frozenset()  # host or host:port let past the SSRF guard
    user_agent: str = USER_AGENT


@dataclass(frozen=True, slots=True)
class FetchResult:
    """What a GET returned: a body, or ``not_modified`` for a 304."""

    url: str
    status: int
    content: bytes = b""
    etag: str | None = None
    last_modified: str | None = None
    content_type: str = ""
    encoding: str | None = None
    redirects: tuple[str, ...] = field(default_factory=tuple)

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def text(self) -> str:
        """The body decoded by its declared charset, falling back to UTF-8 with replacement."""
        for enc in (self.encoding, "utf-8"):
            if not enc:
                continue
            try:
                return self.content.decode(enc)
            except (LookupError, UnicodeDecodeError):
                continue
        return self.content.decode("utf-8", errors="replace")


def _blocked_address(addr: str) -> bool:
    ip = ipaddress.ip_address(addr.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return bool(
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def check_url(url: str, allow_hosts: frozenset[str] = frozenset(), resolve: Resolver = _system_resolver) -> None:
    """Raise BlockedURLError unless ``url`` is http(s) to a public address or an allowed host."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise BlockedURLError(f"scheme {parts.scheme or '(none)'!r} is not fetched", where=url)
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        raise BlockedURLError("URL has no host", where=url)
    hostport = f"{host}:{parts.port}" if parts.port else host
    if host in allow_hosts or hostport in allow_hosts:
        return
    try:
        addresses = [host] if _is_ip(host) else list(resolve(host))
    except FetchError as exc:
        raise FetchError(exc.message, where=url) from exc
    if not addresses:
        raise FetchError(f"host {host!r} has no address", where=url)
    bad = [a for a in addresses if _blocked_address(a)]
    if bad:
        raise BlockedURLError(
            f"host {host!r} resolves to non-public address {bad[0]} (use --allow-host {hostport} to permit)",
            where=url,
        )


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


class Fetcher:
    """A reusable, guarded HTTP client."""

    def __init__(
        self,
        settings: FetchSettings | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        resolve: Resolver = _system_resolver,
    ) -> None:
        self.settings = settings or FetchSettings()
        self._resolve = resolve
        self._client = httpx.Client(
            timeout=httpx.Timeout(self.settings.timeout),
            follow_redirects=False,
            headers={"User-Agent": self.settings.user_agent, "Accept-Encoding": "gzip, deflate"},
            transport=transport,
            trust_env=False,
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> FetchResult:
        """GET with conditional headers, guarded redirects, a byte cap and a deadline."""
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        hops: list[str] = []
        current = url
        started = time.monotonic()
        for _ in range(self.settings.max_redirects + 1):
            check_url(current, self.settings.allow_hosts, self._resolve)
            try:
                result = self._get_once(current, headers, started)
            except httpx.TimeoutException as exc:
                raise FetchError(f"timed out: {exc.__class__.__name__}", where=current) from exc
            except httpx.HTTPError as exc:
                raise FetchError(f"{exc.__class__.__name__}: {exc}", where=current) from exc
            if isinstance(result, str):
                hops.append(current)
                current = result
                continue
            return replace(result, redirects=tuple(hops))
        raise FetchError(f"more than {self.settings.max_redirects} redirects", where=url)

    def _get_once(self, url: str, headers: dict[str, str], started: float) -> FetchResult | str:
        limit = self.settings.max_bytes
        with self._client.stream("GET", url, headers=headers) as resp:
            if resp.status_code == 304:
                return FetchResult(url=url, status=304, etag=resp.headers.get("etag"),
                                   last_modified=resp.headers.get("last-modified"))
            if resp.is_redirect:
                location = resp.headers.get("location")
                if not location:
                    raise FetchError(f"redirect {resp.status_code} without Location", where=url)
                return urljoin(url, location)
            if resp.status_code >= 400:
                raise HTTPStatusError(f"HTTP {resp.status_code}", where=url, status=resp.status_code)
            declared = resp.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > limit:
                raise TooLargeError(f"response declares {int(declared)} bytes, over the {limit}-byte cap", where=url)
            chunks: list[bytes] = []
            size = 0
            for chunk in resp.iter_bytes():
                size += len(chunk)
                if size > limit:
                    raise TooLargeError(f"response passed the {limit}-byte cap", where=url)
                if time.monotonic() - started > self.settings.deadline:
                    raise FetchError(f"response took longer than {self.settings.deadline:.0f}s", where=url)
                chunks.append(chunk)
            return FetchResult(
                url=url,
                status=resp.status_code,
                content=b"".join(chunks),
                etag=resp.headers.get("etag"),
                last_modified=resp.headers.get("last-modified"),
                content_type=resp.headers.get("content-type", ""),
                encoding=resp.charset_encoding,
            )

