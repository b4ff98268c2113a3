"""Every route the app serves is in ``/openapi.json``, so the fuzzer reaches them all."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from starlette.routing import Route

from autotriage.config import Settings
from autotriage.web.app import create_app

# FastAPI's own documentation pages describe the description; they need no entry.
DOCS = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}


def _routes(routes: list[Any]) -> list[Route]:
    """The app's routes, those of included routers too (FastAPI wraps them)."""
    out: list[Route] = []
    for route in routes:
        if isinstance(route, Route):
            out.append(route)
        elif hasattr(route, "original_router"):
            out.extend(_routes(route.original_router.routes))
    return out


def _served(app: Any) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for route in _routes(app.routes):
        if route.path in DOCS:
            continue
        path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)  # {id:int} -> {id}
        for method in route.methods or ():
            if method != "HEAD":
                found.add((method.lower(), path))
    return found


def test_every_served_route_is_described(make_settings: Callable[..., Settings]) -> None:
    app = create_app(make_settings(AUTOTRIAGE_WORKER="false", AUTOTRIAGE_BENCH_ENDPOINTS="false"))
    with TestClient(app) as client:
        spec = client.get("/openapi.json").json()
    described = {(m, p) for p, item in spec["paths"].items() for m in item}
    served = _served(app)
    assert ("post", "/console/groups/{group_id}/assign") in served
    assert served - described == set()
