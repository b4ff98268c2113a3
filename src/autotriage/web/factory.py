"""An app factory for uvicorn's ``--reload`` mode, which needs an import string."""

from __future__ import annotations

from fastapi import FastAPI

from autotriage.config import load_settings
from autotriage.services import build_services
from autotriage.web.app import create_app


def app() -> FastAPI:
    """Build the app from the environment."""
    return create_app(build_services(load_settings()))
