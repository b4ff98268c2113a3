"""Web-edge protections that do not depend on a route: operator pages refused on an exposed
bind without a token, and the security headers of HTML answers.

Without ``AUTOTRIAGE_API_TOKEN`` only the loopback bind keeps ``/api/*``, ``/trigger-scan``
and the dashboard private; a container binds ``0.0.0.0``, so there they answer 403 with
the reason until a token is set (and ``autotriage serve`` warns at startup).
"""

from __future__ import annotations

import ipaddress

from fastapi import HTTPException, Request

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
