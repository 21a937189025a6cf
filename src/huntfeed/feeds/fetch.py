"""HTTP fetching with the guards a reader of strangers' content needs.

Every URL that comes from a feed or a redirect passes the SSRF guard (no loopback, private,
link-local or odd-scheme targets unless the host is explicitly allowed); bodies are read as a
stream under a byte cap that counts *decoded* bytes (so a gzip bomb stops at the cap) and an
overall deadline (so a server trickling bytes cannot hold a run forever). Redirects are
followed by hand so each hop is checked.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urljoin

import httpcore
import httpx

from huntfeed.errors import BlockedURLError, FetchError, HTTPStatusError, TooLargeError
from huntfeed.feeds.decode import decode, finish, layers_for
from huntfeed.feeds.fetch_settings import USER_AGENT as USER_AGENT  # re-exported
from huntfeed.feeds.fetch_settings import FetchSettings as FetchSettings  # re-exported: where the settings live

Resolver = Callable[[str], Iterable[str]]


def _system_resolver(host: str) -> list[str]:
    try:
        return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, None)})
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"cannot resolve host {host!r}: {exc}") from exc


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
    conditional: bool = False  # the request named a version (If-None-Match / If-Modified-Since)

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


def _short(url: str, limit: int = 300) -> str:
    """A URL trimmed for error messages: a hostile Location header can be megabytes long."""
    return url if len(url) <= limit else url[: limit - 1] + "…"


def check_url(url: str, allow_hosts: frozenset[str] = frozenset(), resolve: Resolver = _system_resolver) -> None:
    """Raise BlockedURLError unless ``url`` is http(s) to a public address or an allowed host."""
    where = _short(url)
    try:
        # Parse with the same parser that will make the request, so the guard and the
        # connection can never disagree about which host a URL names.
        parsed = httpx.URL(url)
        port = parsed.port
        host = parsed.raw_host.decode("ascii").lower().strip("[]").rstrip(".")
        if port is not None and not 0 < port < 65536:
            raise ValueError(f"port {port} out of range")
    except (httpx.InvalidURL, ValueError, UnicodeError) as exc:
        raise BlockedURLError(f"malformed URL: {exc}", where=where) from exc
    if parsed.scheme not in ("http", "https"):
        raise BlockedURLError(f"scheme {parsed.scheme or '(none)'!r} is not fetched", where=where)
    if not host:
        raise BlockedURLError("URL has no host", where=where)
    if parsed.userinfo:
        # http://allowed:port@other:port/ reads as the first host to a person and as the second to HTTP.
        raise BlockedURLError("URL carries a user name or password; not fetched", where=where)
    hostport = f"{host}:{port}" if port else host
    if host_allowed(host, port or (443 if parsed.scheme == "https" else 80), allow_hosts):
        return
    try:
        addresses = [host] if _is_ip(host) else list(resolve(host))
    except FetchError as exc:
        raise FetchError(exc.message, where=where) from exc
    if not addresses:
        raise FetchError(f"host {host!r} has no address", where=where)
    bad = [a for a in addresses if _blocked_address(a)]
    if bad:
        raise BlockedURLError(
            f"host {host!r} resolves to non-public address {bad[0]} (use --allow-host {hostport} to permit)",
            where=where,
        )


def host_allowed(host: str, port: int, allow_hosts: frozenset[str]) -> bool:
    """An allow-list entry names a host *and* a port; a bare host means only the web ports 80 and 443.

    A bare host once let every port through, so a redirect from an allowed service to another
    port of the same machine reached whatever listened there.
    """
    names = {host, f"[{host}]"} if ":" in host else {host}
    return any(f"{n}:{port}" in allow_hosts for n in names) or (port in (80, 443) and bool(names & allow_hosts))


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


class _Watchdog:
    """Shuts a request's socket down when the overall deadline passes.

    httpx only has per-operation timeouts, so a server sending one header byte per second
    would never trip them; the byte loop below cannot see header bytes either. The sockets
    are learnt from httpcore's trace hook (every request opens its own connection).
    """

    def __init__(self, seconds: float) -> None:
        self.fired = False
        self._streams: list[Any] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(seconds, 0.0), self._fire)
        self._timer.daemon = True

    def trace(self, event: str, info: dict[str, Any]) -> None:
        if event in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            with self._lock:
                self._streams.append(info.get("return_value"))
                if self.fired:
                    self._shutdown()

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            self._shutdown()

    def _shutdown(self) -> None:
        for stream in self._streams:
            sock = stream.get_extra_info("socket") if stream is not None else None
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()


class _BlockedAtConnect(httpcore.ConnectError):
    """Raised by the pinned backend; the fetcher turns it into a BlockedURLError."""


class _PinnedBackend(httpcore.NetworkBackend):
    """Resolves at connect time and connects only to an address that passes the guard.

    check_url resolves a name before the request; the HTTP client would resolve it again to
    connect, and a name that answers differently the second time (DNS rebinding) would slip
    through. Here the address checked is the address connected to.
    """

    def __init__(self, inner: httpcore.NetworkBackend, allow_hosts: frozenset[str], resolve: Resolver) -> None:
        self._inner = inner
        self._allow = allow_hosts
        self._resolve = resolve

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        name = host.lower().strip("[]").rstrip(".")
        target = host
        if not host_allowed(name, port, self._allow):
            try:
                addresses = [name] if _is_ip(name) else list(self._resolve(name))
            except FetchError as exc:
                raise httpcore.ConnectError(exc.message) from exc
            bad = [a for a in addresses if _blocked_address(a)]
            if bad or not addresses:
                raise _BlockedAtConnect(f"host {name!r} resolves to non-public address "
                                        f"{bad[0] if bad else '(none)'} at connect time")
            target = addresses[0]
        return self._inner.connect_tcp(target, port, timeout=timeout, local_address=local_address,
                                       socket_options=socket_options)

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        raise _BlockedAtConnect("unix sockets are not fetched")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def _pinned_transport(settings: FetchSettings, resolve: Resolver) -> httpx.BaseTransport:
    # No kept-alive connections: the deadline watchdog needs each request's own socket.
    transport = httpx.HTTPTransport(limits=httpx.Limits(max_keepalive_connections=0), trust_env=False)
    pool = getattr(transport, "_pool", None)
    if pool is not None and hasattr(pool, "_network_backend"):  # httpcore's pool; absent, check_url still guards
        pool._network_backend = _PinnedBackend(pool._network_backend, settings.allow_hosts, resolve)
    return transport


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
        self._hosts: dict[str, threading.BoundedSemaphore] = {}
        self._hosts_lock = threading.Lock()
        self._client = httpx.Client(
            timeout=httpx.Timeout(self.settings.timeout),
            follow_redirects=False,
            headers={"User-Agent": self.settings.user_agent, "Accept-Encoding": "gzip, deflate"},
            transport=transport or _pinned_transport(self.settings, resolve),
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
            where = _short(current)
            left = self.settings.deadline - (time.monotonic() - started)
            if left <= 0:
                raise FetchError(f"response took longer than {self.settings.deadline:.0f}s", where=where)
            with self._host_slot(current), _Watchdog(left) as dog:
                try:
                    result = self._get_once(current, headers, started, dog)
                except httpx.TimeoutException as exc:
                    raise FetchError(f"timed out: {exc.__class__.__name__}", where=where) from exc
                except httpx.ConnectError as exc:
                    if isinstance(exc.__cause__, _BlockedAtConnect):
                        raise BlockedURLError(str(exc.__cause__), where=where) from exc
                    raise FetchError(f"ConnectError: {exc}", where=where) from exc
                except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
                    if dog.fired:
                        raise FetchError(f"response took longer than {self.settings.deadline:.0f}s",
                                         where=where) from exc
                    raise FetchError(f"{exc.__class__.__name__}: {exc}", where=where) from exc
            if isinstance(result, str):
                hops.append(current)
                current = result
                continue
            return replace(result, redirects=tuple(hops), conditional=bool(headers))
        raise FetchError(f"more than {self.settings.max_redirects} redirects", where=_short(url))

    def _host_slot(self, url: str) -> threading.BoundedSemaphore:
        host = (httpx.URL(url).host or "").lower()
        with self._hosts_lock:
            slot = self._hosts.get(host)
            if slot is None:
                slot = self._hosts[host] = threading.BoundedSemaphore(max(1, self.settings.per_host))
        return slot

    def _read_capped(self, resp: httpx.Response, layers: list[Any], started: float, where: str) -> list[bytes]:
        """The decoded body, counted piece by piece as it is decoded (raw bytes count too)."""
        limit = self.settings.max_bytes
        chunks: list[bytes] = []
        size = raw_size = 0

        def take(pieces: Iterable[bytes]) -> None:
            nonlocal size
            for piece in pieces:
                size += len(piece)
                if size > limit:
                    raise TooLargeError(f"response passed the {limit}-byte cap (decoded)", where=where)
                chunks.append(piece)

        try:
            for raw in resp.iter_raw():
                raw_size += len(raw)
                if raw_size > limit:
                    raise TooLargeError(f"response passed the {limit}-byte cap", where=where)
                if time.monotonic() - started > self.settings.deadline:
                    raise FetchError(f"response took longer than {self.settings.deadline:.0f}s", where=where)
                take(decode(layers, raw))
            take(finish(layers))
        except FetchError as exc:
            raise type(exc)(exc.message, where=exc.where or where) from exc
        return chunks

    def _get_once(self, url: str, headers: dict[str, str], started: float, dog: _Watchdog) -> FetchResult | str:
        limit = self.settings.max_bytes
        where = _short(url)
        with self._client.stream("GET", url, headers=headers, extensions={"trace": dog.trace}) as resp:
            if resp.status_code == 304:
                return FetchResult(url=url, status=304, etag=resp.headers.get("etag"),
                                   last_modified=resp.headers.get("last-modified"))
            if resp.is_redirect:
                location = resp.headers.get("location")
                if not location:
                    raise FetchError(f"redirect {resp.status_code} without Location", where=where)
                return str(urljoin(url, location))
            if resp.status_code >= 400:
                raise HTTPStatusError(f"HTTP {resp.status_code}", where=where, status=resp.status_code)
            encodings = [e.strip() for e in resp.headers.get("content-encoding", "").lower().split(",") if e.strip()]
            try:
                layers = layers_for(encodings)
            except FetchError as exc:
                raise FetchError(exc.message, where=where) from exc
            declared = resp.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > limit:
                raise TooLargeError(f"response declares {int(declared)} bytes, over the {limit}-byte cap", where=where)
            chunks = self._read_capped(resp, layers, started, where)
            if dog.fired:  # the watchdog's shutdown reads as a clean end of a close-delimited body
                raise FetchError(f"response took longer than {self.settings.deadline:.0f}s", where=where)
            return FetchResult(
                url=url,
                status=resp.status_code,
                content=b"".join(chunks),
                etag=resp.headers.get("etag"),
                last_modified=resp.headers.get("last-modified"),
                content_type=resp.headers.get("content-type", ""),
                encoding=resp.charset_encoding,
            )

