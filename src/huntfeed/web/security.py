"""Response headers that keep feed content inert in the browser."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import Response

# No inline script or style anywhere: everything the pages run comes from /static.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'; object-src 'none'")
# FastAPI's API explorer pages load Swagger UI / ReDoc from a CDN and boot them with an inline
# script; they show only our own schema, never feed content, so they get a wider policy.
DOCS_CSP = ("default-src 'none'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
            "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: "
            "https://fastapi.tiangolo.com https://cdn.redoc.ly; connect-src 'self'; "
            "font-src https://fonts.gstatic.com; frame-ancestors 'none'; base-uri 'none'")
DOCS_PATHS = ("/docs", "/redoc")
# The names a browser on this machine uses for a loopback server. A page on attacker.example whose
# name is re-pointed at 127.0.0.1 (DNS rebinding) sends "Host: attacker.example" and is refused.
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1", "[::1]")


def served_names(bind_host: str = "127.0.0.1", extra: Iterable[str] = ()) -> list[str]:
    """The Host header values the server answers: loopback, the bound name, and ``--allow-host`` names."""
    names = list(LOOPBACK_NAMES)
    for entry in (bind_host, *extra):
        host = entry.strip().lower()
        if host.startswith("["):
            host = host.split("]", 1)[0] + "]"
        elif host.count(":") == 1:
            host = host.split(":", 1)[0]  # host:port; the port is the socket's business
        if host and host not in ("0.0.0.0", "::", "[::]") and host not in names:
            names.append(host)
    return names


class SecurityHeaders(BaseHTTPMiddleware):
    """Adds CSP, nosniff, anti-framing and referrer headers to every response."""

    async def dispatch(self, request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        docs = request.url.path.startswith(DOCS_PATHS)
        response.headers["Content-Security-Policy"] = DOCS_CSP if docs else CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        response.headers.setdefault("Cache-Control", "no-store")
        return response
