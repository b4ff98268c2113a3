"""The operator's console at ``/``: `install(app)` mounts it (see `autotriage.web.console`).

The pages, their assets and the security headers they are sent with all come from
here, so `create_app` needs one line for the whole console.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from autotriage.web.console.access import Access
from autotriage.web.console.headers import ConsoleHeaders
from autotriage.web.console.pages import Console, PageError, page_error, router
from autotriage.web.console.render import STATIC

__all__ = ["install", "router"]


def install(app: FastAPI) -> None:
    """Mount the console's pages, static files and headers on `app`."""
    app.state.console = Console(Access(app.state.services.server.api_token))
    app.add_exception_handler(PageError, page_error)
    app.add_middleware(ConsoleHeaders)
    app.mount("/static/console", StaticFiles(directory=STATIC), name="console-static")
    app.include_router(router)
