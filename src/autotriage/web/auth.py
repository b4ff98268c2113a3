"""Bearer-token protection for /api/* and /trigger-scan."""

from __future__ import annotations

import hmac

from fastapi import HTTPException, Request

from autotriage.web.security import refuse_when_exposed


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
