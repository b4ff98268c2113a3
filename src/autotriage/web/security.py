"""Web-edge protections that do not depend on a route: operator pages refused on an exposed
bind without a token, and the security headers of every answer (`SecurityHeaders`).

Without ``AUTOTRIAGE_API_TOKEN`` only the loopback bind keeps ``/api/*``, ``/trigger-scan``
and the dashboard private; a container binds ``0.0.0.0``, so there they answer 403 with
the reason until a token is set (and ``autotriage serve`` warns at startup).
"""

from __future__ import annotations

import ipaddress

from fastapi import HTTPException, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from autotriage.config import Settings


def is_loopback(host: str) -> bool:
    """Whether binding `host` keeps the server reachable from this machine only."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a hostname: it may resolve to anything


def exposure_problem(settings: Settings) -> str | None:
    """Why operator pages are refused on this configuration, or None when they are not."""
    if settings.api_token is not None or is_loopback(settings.host):
        return None
    return (
        f"AUTOTRIAGE_API_TOKEN is not set and the server listens on {settings.host}, "
        "so the API, scans and dashboard are refused: set a token (or bind 127.0.0.1)"
    )


def refuse_when_exposed(request: Request) -> None:
    """403 with the reason when a tokenless server listens beyond loopback."""
    problem = exposure_problem(request.app.state.settings)
    if problem is not None:
        raise HTTPException(403, problem)


NOSNIFF = (b"x-content-type-options", b"nosniff")
HTML_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
"""Every HTML answer that brings no policy of its own (error pages, redirects' bodies)."""
DOCS_CSP = (
    "default-src 'none'; script-src 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src https://fonts.gstatic.com; img-src 'self' data: https://fastapi.tiangolo.com "
    "https://cdn.jsdelivr.net; connect-src 'self'; worker-src blob:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
"""``/docs`` and ``/redoc``: FastAPI's pages load Swagger UI and ReDoc from their CDN with
an inline start-up script; they show only the OpenAPI description, no stored data."""
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})


class SecurityHeaders:
    """ASGI middleware: ``X-Content-Type-Options: nosniff`` on every answer, and a
    ``Content-Security-Policy`` on every HTML answer that does not carry one (the
    console's pages carry their own, `autotriage.web.console.headers`). Added last, so
    it sees each answer after every other middleware."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = (DOCS_CSP if scope["path"] in DOCS_PATHS else HTML_CSP).encode()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower(): value for name, value in headers}
                if b"x-content-type-options" not in names:
                    headers.append(NOSNIFF)
                html = names.get(b"content-type", b"").lower().startswith(b"text/html")
                if html and b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", policy))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
