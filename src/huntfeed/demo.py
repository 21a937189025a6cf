"""The offline demo: the bundled corpus served over real HTTP on loopback.

The server behaves like a well-run blog host: ETag validators and 304 answers, so the demo's
second poll shows what an unchanged feed costs (one request) next to what a changed one does.
Phase 2 lays the ``update/`` folder over ``site/``: a stub page becomes a full write-up and a
feed gains an item.
"""

from __future__ import annotations

import hashlib
import mimetypes
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from huntfeed.paths import package_data

PLACEHOLDER = "{{BASE}}"
_TEXT_SUFFIXES = {".xml", ".atom", ".rss", ".html", ".htm", ".opml", ".json", ".txt"}


class DemoSite:
    """The corpus on disk, with the phase switch and placeholder substitution."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or package_data("demo")
        self.phase = 1
        self.base = ""
        self.requests: list[str] = []
        self._lock = threading.Lock()

    def resolve(self, path: str) -> Path | None:
        """The file for a URL path in the current phase, or None (also for any escape attempt)."""
        rel = unquote(urlsplit(path).path).lstrip("/")
        if not rel or ".." in Path(rel).parts:
            return None
        layers = ["update", "site"] if self.phase >= 2 else ["site"]
        for layer in layers:
            candidate = (self.root / layer / rel).resolve()
            base = (self.root / layer).resolve()
            if candidate.is_file() and base in candidate.parents:
                return candidate
        return None

    def body(self, file: Path) -> bytes:
        """File content with ``{{BASE}}`` replaced by this server's address."""
        data = file.read_bytes()
        if file.suffix.lower() in _TEXT_SUFFIXES:
            data = data.replace(PLACEHOLDER.encode(), self.base.encode())
        return data

    def log(self, line: str) -> None:
        with self._lock:
            self.requests.append(line)


def _handler(site: DemoSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "huntfeed-demo/1"

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            file = site.resolve(self.path)
            if file is None:
                site.log(f"404 {self.path}")
                self.send_error(404)
                return
            body = site.body(file)
            etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
            if self.headers.get("If-None-Match") == etag:
                site.log(f"304 {self.path}")
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            site.log(f"200 {self.path}")
            ctype = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            if file.suffix == ".atom":
                ctype = "application/atom+xml"
            elif file.suffix == ".xml":
                ctype = "application/rss+xml"
            self.send_response(200)
            self.send_header("Content-Type", f"{ctype}; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", etag)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass  # the demo prints its own summary

    return Handler


@contextmanager
def serve_demo(root: Path | None = None, host: str = "127.0.0.1", port: int = 0) -> Iterator[DemoSite]:
    """Serve the demo corpus on loopback for the duration of the block."""
    site = DemoSite(root)
    server = ThreadingHTTPServer((host, port), _handler(site))
    server.daemon_threads = True
    site.base = f"http://{host}:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="huntfeed-demo", daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
