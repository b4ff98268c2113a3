"""The typed lifespan state: what `create_app`'s lifespan hands every request."""

from __future__ import annotations

from typing import TypedDict, cast

from starlette.requests import Request

from autotriage.services import Services


class AppState(TypedDict):
    """Starlette copies this into each request's ``request.state``."""

    services: Services


def services_of(request: Request) -> Services:
    """The running app's services (set by the lifespan)."""
    return cast(Services, request.state.services)
