"""A real HTTP server on a free loopback port, with routes a test programs.

Used by the fetch, feed and hostile-input tests: real sockets, real HTTP, no mocks.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    status: int = 200
    body: bytes | Callable[[], Iterator[bytes]] = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay_per_chunk: float = 0.0


class LoopbackServer:
    """Routes path -> Reply (or a callable taking the handler and returning a Reply)."""

    def __init__(self) -> None:
        self.routes: dict[str, Reply | Callable[[BaseHTTPRequestHandler], Reply]] = {}
        self.hits: list[tuple[str, dict[str, str]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                server.hits.append((self.path, dict(self.headers)))
                route = server.routes.get(self.path)
                if route is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                reply = route(self) if callable(route) else route
                self.send_response(reply.status)
                streaming = callable(reply.body)
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                if not streaming and "Content-Length" not in reply.headers:
                    self.send_header("Content-Length", str(len(reply.body)))  # type: ignore[arg-type]
                if streaming:
                    self.send_header("Connection", "close")
                self.end_headers()
                try:
                    if streaming:
                        for chunk in reply.body():  # type: ignore[operator]
                            self.wfile.write(chunk)
                            self.wfile.flush()
                            if reply.delay_per_chunk:
                                time.sleep(reply.delay_per_chunk)
                    else:
                        self.wfile.write(reply.body)  # type: ignore[arg-type]
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.host = f"127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> LoopbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def url(self, path: str) -> str:
        return self.base + path
