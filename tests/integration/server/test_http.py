"""The server as a user runs it: a real `autotriage serve` process on a free port."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import LiveServer

TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "/srv/app/orders/pricing.py", line 41, in compute_total\n'
    "    return subtotal / item_count\n"
    "ZeroDivisionError: division by zero"
)


def _wait_for_groups(server: LiveServer, headers: dict[str, str], count: int) -> list[dict]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        groups = httpx.get(f"{server.url}/api/groups", headers=headers).json()["groups"]
        if len(groups) >= count and all(g["links"] for g in groups):
            return groups
        time.sleep(0.1)
    raise AssertionError(f"groups did not appear:\n{server.log()}")


@pytest.fixture
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveServer]:
    """A server on SQLite; tests marked `postgres` get one on a fresh PostgreSQL database."""
    url = (
        request.getfixturevalue("postgres_url")
        if request.node.get_closest_marker("postgres")
        else f"sqlite:///{tmp_path / 'data' / 'autotriage.db'}"
    )
    env = {
        "DATABASE_URL": url,
        "WEBHOOK_SECRET": "s3cret-hook",
        "AUTOTRIAGE_API_TOKEN": "api-tok",
        "MAX_BODY_BYTES": "65536",
    }
    with LiveServer(env, tmp_path) as live:
        yield live


AUTH = {"authorization": "Bearer api-tok"}


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_health_reports_store_and_worker(server: LiveServer, backend: str) -> None:
    anonymous = httpx.get(f"{server.url}/health")
    assert anonymous.status_code == 200
    assert anonymous.json() == {"status": "ok"}  # no counts, no worker figures, no errors
    assert httpx.get(f"{server.url}/health", headers={"authorization": "Bearer no"}).json() == {
        "status": "ok"
    }
    body = httpx.get(f"{server.url}/health", headers=AUTH).json()
    assert body["status"] == "ok"
    assert body["store"]["ok"] is True
    assert set(body["store"]["events"]) <= {"pending", "done", "failed"}
    assert body["worker"]["alive"] is True
    assert body["store"]["dialect"] == ("sqlite" if backend == "sqlite" else "postgresql")


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_slack_post_becomes_a_group_with_a_rendered_issue(server: LiveServer, backend: str) -> None:
    del backend  # the server fixture picks the database from the marker
    response = httpx.post(
        f"{server.url}/webhook/slack",
        json={"text": TRACEBACK},
        headers={"x-autotriage-token": "s3cret-hook"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["events"] == 1
    [group] = _wait_for_groups(server, AUTH, 1)
    assert group["title"] == "ZeroDivisionError: division by zero"
    assert group["sources"] == ["slack"]
    detail = httpx.get(f"{server.url}/api/groups/{group['id']}", headers=AUTH).json()
    item = detail["tracker_item"]
    assert item["title"] == "[slack] ZeroDivisionError: division by zero"
    assert "pricing.py:41" in item["body"]
    assert "autotriage:" in item["body"]
    assert detail["latest_event"]["exceptions"][0]["frames"][0]["lineno"] == 41


def test_sentry_plugin_with_token_query_parameter(server: LiveServer) -> None:
    body = Path("tests/fixtures/sentry/c_legacy_webhooks_plugin_real_zulip.json").read_bytes()
    ok = httpx.post(
        f"{server.url}/webhook/sentry?token=s3cret-hook",
        content=body,
        headers={"content-type": "application/json"},
    )
    assert ok.status_code == 200, ok.text
    denied = httpx.post(f"{server.url}/webhook/sentry?token=wrong", content=b"{}")
    assert denied.status_code == 401
    assert denied.json()["error"]["code"] == "unauthorized"
    [group] = _wait_for_groups(server, AUTH, 1)
    assert group["sources"] == ["sentry"]
    assert group["title"].startswith("ValueError")


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        (b"{not json", 400, "not valid JSON"),
        (b"[1, 2]", 400, "JSON object"),
        (b'{"text": 5}', 400, "`text`"),
        (b"[" * 200 + b"]" * 200, 400, "nested"),
        (b'{"text": "' + b"x" * 70000 + b'"}', 413, "limit"),
    ],
)
def test_bad_input_gets_a_4xx_with_the_reason(
    server: LiveServer, body: bytes, status: int, fragment: str
) -> None:
    response = httpx.post(
        f"{server.url}/webhook/slack", content=body, headers={"x-autotriage-token": "s3cret-hook"}
    )
    assert response.status_code == status
    error = response.json()["error"]
    assert fragment in error["message"]
    assert error["request_id"]
    groups = httpx.get(f"{server.url}/api/groups", headers=AUTH).json()
    assert groups["total"] == 0


def test_api_requires_the_bearer_token(server: LiveServer) -> None:
    assert httpx.get(f"{server.url}/api/groups").status_code == 401
    assert (
        httpx.get(f"{server.url}/api/groups", headers={"authorization": "Bearer no"}).status_code
        == 401
    )
    assert httpx.post(f"{server.url}/trigger-scan").status_code == 401
    missing = httpx.get(f"{server.url}/api/groups/999", headers=AUTH)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    assert httpx.get(f"{server.url}/api/groups?limit=0", headers=AUTH).status_code == 400


def test_openapi_lists_the_original_endpoints(server: LiveServer) -> None:
    paths = httpx.get(f"{server.url}/openapi.json").json()["paths"]
    for path in (
        "/webhook/slack",
        "/webhook/sentry",
        "/trigger-scan",
        "/health",
        "/api/groups",
        "/api/groups/{group_id}",
    ):
        assert path in paths
    assert httpx.get(f"{server.url}/docs").status_code == 200


def test_secrets_in_a_post_never_reach_the_store_or_the_log(server: LiveServer) -> None:
    secret = "AKIAIOSFODNN7EXAMPLE"
    text = TRACEBACK.replace("division by zero", f"bad key {secret} password=hunter22")
    response = httpx.post(
        f"{server.url}/webhook/slack",
        json={"text": text},
        headers={"x-autotriage-token": "s3cret-hook"},
    )
    assert response.status_code == 200
    [group] = _wait_for_groups(server, AUTH, 1)
    detail = json.dumps(httpx.get(f"{server.url}/api/groups/{group['id']}", headers=AUTH).json())
    assert secret not in detail and "hunter22" not in detail
    assert "[REDACTED:aws_key]" in detail
    assert secret not in server.log()
