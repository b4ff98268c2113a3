"""Operator pages on an exposed bind without a token, and the headers of HTML answers."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from autotriage.config import Settings
from autotriage.web.app import create_app
from autotriage.web.security import exposure_problem, is_loopback

ANY = "0.0.0.0"  # noqa: S104 -- the exposed bind under test
OPERATOR_PAGES = [("GET", "/api/groups"), ("POST", "/trigger-scan"), ("GET", "/")]


def _client(make_settings: Callable[..., Settings], **env: str) -> TestClient:
    return TestClient(create_app(make_settings(AUTOTRIAGE_WORKER="false", **env)))


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("::1", True), ("[::1]", True), ("localhost", True),
     (ANY, False), ("::", False), ("10.0.0.5", False), ("app.internal", False)],
)  # fmt: skip
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


@pytest.mark.parametrize(("method", "path"), OPERATOR_PAGES)
def test_tokenless_exposed_bind_refuses_operator_pages_with_the_reason(
    make_settings: Callable[..., Settings], method: str, path: str
) -> None:
    with _client(make_settings, HOST=ANY) as client:
        response = client.request(method, path)
        assert response.status_code == 403
        assert "AUTOTRIAGE_API_TOKEN is not set" in response.text
        assert client.get("/health").status_code == 200  # probes keep working


def test_a_token_or_a_loopback_bind_serves_them(make_settings: Callable[..., Settings]) -> None:
    with _client(make_settings, HOST=ANY, AUTOTRIAGE_API_TOKEN="t0ken") as client:
        assert client.get("/api/groups").status_code == 401
        ok = client.get("/api/groups", headers={"authorization": "Bearer t0ken"})
        assert ok.status_code == 200
    with _client(make_settings, HOST="127.0.0.1") as client:
        assert client.get("/api/groups").status_code == 200
    assert exposure_problem(make_settings(HOST="127.0.0.1")) is None
