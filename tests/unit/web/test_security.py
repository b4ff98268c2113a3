"""Operator pages on an exposed bind without a token, and the headers of HTML answers."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from autotriage.config import Settings
from autotriage.web.app import create_app
from autotriage.web.auth import exposure_problem, is_loopback

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
    assert exposure_problem(make_settings(HOST="127.0.0.1").server) is None


def test_anonymous_health_is_status_only_and_details_need_the_token(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(AUTOTRIAGE_API_TOKEN="t0ken")
    with TestClient(create_app(settings)) as client:
        anonymous = client.get("/health")
        assert anonymous.status_code == 200
        assert anonymous.json() == {"status": "ok"}
        wrong = client.get("/health", headers={"authorization": "Bearer nope"})
        assert wrong.json() == {"status": "ok"}
        detailed = client.get("/health", headers={"authorization": "Bearer t0ken"}).json()
        assert detailed["store"]["events"] == {}
        assert detailed["worker"]["alive"] is True


def test_health_shows_an_errors_reason_never_its_sql_or_parameters() -> None:
    from autotriage.web.routes.api import first_line

    error = (
        "DataError: value too long for type character varying(255)\n"
        "[SQL: INSERT INTO events (title) VALUES (%(title)s)]\n"
        "[parameters: {'title': 'AKIAIOSFODNN7EXAMPLE'}]"
    )
    assert first_line(error) == "DataError: value too long for type character varying(255)"
    assert first_line("IntegrityError: dup [SQL: INSERT ...]") == "IntegrityError: dup"
    assert first_line(None) is None


@pytest.mark.parametrize(
    ("path", "html"),
    [
        ("/health", False),
        ("/openapi.json", False),
        ("/api/groups", False),
        ("/nope", False),
        ("/docs", True),
        ("/redoc", True),
        ("/", True),
        ("/groups/1", True),
        ("/login", True),
    ],
)
def test_every_answer_is_nosniff_and_every_html_answer_has_a_csp(
    make_settings: Callable[..., Settings], path: str, html: bool
) -> None:
    with _client(make_settings) as client:
        response = client.get(path)
        assert response.headers["x-content-type-options"] == "nosniff"
        is_html = response.headers.get("content-type", "").startswith("text/html")
        assert is_html is html, response.headers.get("content-type")
        if html:
            policy = response.headers["content-security-policy"]
            assert "default-src 'none'" in policy
            assert "frame-ancestors 'none'" in policy
            assert response.headers.get_list("content-security-policy") == [policy]


def test_the_console_keeps_its_own_policy(make_settings: Callable[..., Settings]) -> None:
    from autotriage.web.console.headers import CSP

    with _client(make_settings) as client:
        assert client.get("/").headers["content-security-policy"] == CSP
        assert client.get("/docs").headers["content-security-policy"] != CSP
