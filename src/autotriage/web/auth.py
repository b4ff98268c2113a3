"""Who may reach the operator pages: bearer-token protection for /api/* and /trigger-scan,
and the refusal of every operator page on an exposed bind without a token.

Without ``AUTOTRIAGE_API_TOKEN`` only the loopback bind keeps ``/api/*``, ``/trigger-scan``
and the dashboard private; a container binds ``0.0.0.0``, so there they answer 403 with
the reason until a token is set (and ``autotriage serve`` warns at startup).
"""

from __future__ import annotations

import hmac
import ipaddress

from fastapi import HTTPException, Request

from autotriage.config_sections import ServerSettings


def is_loopback(host: str) -> bool:
    """Whether binding `host` keeps the server reachable from this machine only."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a hostname: it may resolve to anything


def exposure_problem(settings: ServerSettings) -> str | None:
    """Why operator pages are refused on this configuration, or None when they are not."""
    if settings.api_token is not None or is_loopback(settings.host):
        return None
    return (
        f"AUTOTRIAGE_API_TOKEN is not set and the server listens on {settings.host}, "
        "so the API, scans and dashboard are refused: set a token (or bind 127.0.0.1)"
    )


def refuse_when_exposed(request: Request) -> None:
    """403 with the reason when a tokenless server listens beyond loopback."""
    problem = exposure_problem(request.app.state.services.server)
    if problem is not None:
        raise HTTPException(403, problem)


def require_api_token(request: Request) -> None:
    """Require ``Authorization: Bearer $AUTOTRIAGE_API_TOKEN`` when a token is configured;
    without one, refuse on a non-loopback bind (`refuse_when_exposed`)."""
    token = request.app.state.services.server.api_token
    if token is None:
        refuse_when_exposed(request)
        return
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    expected = token.get_secret_value().encode()
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected):
        raise HTTPException(401, "a valid bearer token is required", {"www-authenticate": "Bearer"})
