"""A raw TCP server on loopback for replies no well-behaved HTTP server would send.

Each path maps to a function that gets the connected socket after the request line and
headers were read; it may write anything (or nothing) and is cut off when the test ends.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable

Behaviour = Callable[[socket.socket], None]


class RawServer:
    """Routes a request path to a raw socket behaviour."""

    def __init__(self) -> None:
        self.routes: dict[str, Behaviour] = {}
        self.hits: list[str] = []
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self.port = self._sock.getsockname()[1]
        self.host = f"127.0.0.1:{self.port}"
        self.base = f"http://{self.host}"
        self._stop = threading.Event()
        self._conns: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def url(self, path: str) -> str:
        return self.base + path

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self._conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(10)
            data = b""
            while b"\r\n\r\n" not in data and len(data) < 65536:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                data += chunk
            path = data.split(b" ", 2)[1].decode("latin-1") if data.count(b" ") >= 2 else "/"
            self.hits.append(path)
            behaviour = self.routes.get(path)
            if behaviour is None:
                conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            else:
                behaviour(conn)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                conn.close()

    def stopped(self) -> bool:
        """True once the test is over: trickling behaviours check it to end."""
        return self._stop.is_set()

    def trickle(self, head: bytes, byte: bytes, every: float) -> Behaviour:
        """Send ``head`` then one ``byte`` every ``every`` seconds until the client leaves."""

        def run(conn: socket.socket) -> None:
            conn.sendall(head)
            while not self.stopped():
                conn.sendall(byte)
                time.sleep(every)

        return run

    def __enter__(self) -> RawServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._sock.close()
        for conn in self._conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
