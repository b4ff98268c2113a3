"""The web edge in-process: the error table and the body cap."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from autotriage.config import Settings
from autotriage.services import build_services
from autotriage.web.app import create_app


@pytest.fixture
def client(make_settings: Callable[..., Settings]) -> Iterator[TestClient]:
    settings = make_settings(
        WEBHOOK_SECRET="hook", MAX_BODY_BYTES="2048", AUTOTRIAGE_WORKER="false"
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_unknown_route_and_wrong_method_keep_the_error_shape(client: TestClient) -> None:
    missing = client.get("/nope")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    wrong = client.get("/webhook/slack")
    assert wrong.status_code == 405
    assert set(wrong.json()["error"]) == {"code", "message", "request_id"}


def test_declared_length_over_the_cap_is_refused_before_reading(client: TestClient) -> None:
    response = client.post(
        "/webhook/slack", content=b"x" * 4096, headers={"x-autotriage-token": "hook"}
    )
    assert response.status_code == 413
    assert "limit is 2048" in response.json()["error"]["message"]


def test_request_id_is_echoed(client: TestClient) -> None:
    response = client.post(
        "/webhook/slack",
        content=b"{",
        headers={"x-request-id": "req-123", "x-autotriage-token": "hook"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["request_id"] == "req-123"
    assert response.headers["x-request-id"] == "req-123"


def test_health_without_a_worker_is_ok(client: TestClient) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok"
    assert body["worker"] == {"enabled": False}


def test_trigger_scan_says_no_pull_source(client: TestClient) -> None:
    response = client.post("/trigger-scan")
    assert response.status_code == 200
    assert response.json()["status"] == "no_pull_source"


def test_dashboard_lists_groups_and_shows_the_rendered_issue(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(
        WEBHOOK_SECRET="hook", AUTOTRIAGE_WORKER="false", AUTOTRIAGE_API_TOKEN="dash-tok"
    )
    services = build_services(settings)
    app = create_app(services)
    with TestClient(app, follow_redirects=False) as client:
        text = (
            "Traceback (most recent call last):\n  File \"app/x.py\", line 3, in f\nKeyError: 'sku'"
        )
        assert (
            client.post(
                "/webhook/slack", json={"text": text}, headers={"x-autotriage-token": "hook"}
            ).status_code
            == 200
        )
        services.worker.drain()
        assert client.get("/").headers["location"].startswith("/login")
        page = client.get("/", headers={"authorization": "Bearer dash-tok"})
        assert page.status_code == 200
        assert "KeyError: &#39;sku&#39;" in page.text
        detail = client.get("/groups/1", headers={"authorization": "Bearer dash-tok"})
        assert "[slack] KeyError" in detail.text
        assert "tracker.open" in detail.text
        assert "<script>" not in detail.text  # only the console's own external script
