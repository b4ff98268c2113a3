"""The console tests' app, client and login: one app with a token, seeded through the pipeline."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from autotriage.config import Settings
from autotriage.web.app import create_app
from tests.console_data import TOKEN, seed


@pytest.fixture
def app(make_settings: Callable[..., Settings]) -> FastAPI:
    return create_app(make_settings(AUTOTRIAGE_WORKER="false", AUTOTRIAGE_API_TOKEN=TOKEN))


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def ids(app: FastAPI, client: TestClient) -> dict[str, int]:
    del client  # started: the store is migrated
    return seed(app.state.services)
