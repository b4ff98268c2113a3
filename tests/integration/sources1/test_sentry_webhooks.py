"""/webhook/sentry in-process: signatures, resources, status signals, the legacy plugin,
and issue.created fetching the latest event from a local stand-in for Sentry's API."""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select

from autotriage.config import load_settings
from autotriage.pipeline import process_pending
from autotriage.store.tables import Group
from tests.support import fixture_bytes

VECTOR = json.loads(fixture_bytes("sentry", "signature_test_vector.json"))
SECRET = VECTOR["client_secret"]
SIGNED_AT = float(VECTOR["request_headers"]["Sentry-Hook-Timestamp"])


@pytest.fixture
def make_app(make_app: Callable[..., Any]) -> Callable[..., Any]:
    """The package's app builder, answering at the time the Sentry vector was signed
    (2019), so its timestamp is fresh."""
    return functools.partial(make_app, clock=lambda: SIGNED_AT)


TOKEN = "generic-webhook-secret-for-tests"


def _signed(body: bytes, resource: str, request_id: str = "r1") -> dict[str, str]:
    return {
        "content-type": "application/json",
        "request-id": request_id,
        "sentry-hook-resource": resource,
        "sentry-hook-timestamp": "1566248317",
        "sentry-hook-signature": hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest(),
    }


def test_signature_vector_is_accepted_and_redelivery_stored_once(
    make_app: Callable[..., Any],
) -> None:
    app = make_app()
    body = VECTOR["raw_body"].encode()
    headers = {k.lower(): v for k, v in VECTOR["request_headers"].items()}
    first = app.client.post("/webhook/sentry", content=body, headers=headers)
    again = app.client.post("/webhook/sentry", content=body, headers=headers)
    assert first.json() == {"status": "accepted", "events": 1, "duplicates": 0}
    assert again.json()["events"] == 0
    assert app.counts() == (1, 1)


@pytest.mark.parametrize(
    "headers",
    [
        {"sentry-hook-resource": "issue"},  # unsigned
        {"sentry-hook-resource": "issue", "sentry-hook-signature": "0" * 64},
        {
            "sentry-hook-signature": VECTOR["negative_check_pretty_printed_body_signature"],
            "sentry-hook-resource": "issue",
        },
    ],
)
def test_bad_signatures_are_401_and_store_nothing(
    make_app: Callable[..., Any], headers: dict[str, str]
) -> None:
    app = make_app()
    response = app.client.post("/webhook/sentry", content=VECTOR["raw_body"], headers=headers)
    assert response.status_code == 401
    assert app.counts() == (0, 0)


def test_known_unhandled_resources_answer_ignored(make_app: Callable[..., Any]) -> None:
    app = make_app()
    body = json.dumps({"action": "created", "data": {"installation": {"uuid": "x"}}}).encode()
    headers = _signed(body, "installation")
    response = app.client.post("/webhook/sentry", content=body, headers=headers)
    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    assert app.counts() == (0, 0)


def test_status_signals_update_the_group(make_app: Callable[..., Any], database_url: str) -> None:
    app = make_app()
    alert = fixture_bytes("sentry", "b_event_alert_triggered_webhook.json")
    assert (
        app.client.post(
            "/webhook/sentry", content=alert, headers=_signed(alert, "event_alert")
        ).json()["events"]
        == 1
    )
    process_pending(app.store, load_settings(env_file=None, DATABASE_URL=database_url).pipeline)

    def signal(action: str, request_id: str) -> dict[str, Any]:
        payload = json.loads(fixture_bytes("sentry", "a_issue_created_webhook.json"))
        payload["action"] = action
        payload["data"]["issue"]["id"] = "1117540176"
        body = json.dumps(payload).encode()
        response = app.client.post(
            "/webhook/sentry", content=body, headers=_signed(body, "issue", request_id)
        )
        assert response.status_code == 200
        with app.store.reading() as session:
            group = session.scalars(select(Group)).one()
            return {"answer": response.json(), "status": group.status, "at": group.resolved_at}

    resolved = signal("resolved", "s1")
    assert resolved["answer"]["status"] == "updated"
    assert resolved["status"] == "resolved"
    assert resolved["at"] is not None
    assert signal("ignored", "s2")["status"] == "ignored"
    reopened = signal("unresolved", "s3")
    assert reopened["status"] == "open"
    assert reopened["at"] is None
    unknown = app.client.post(
        "/webhook/sentry",
        content=(body := json.dumps({"action": "resolved", "data": {"issue": {"id": "9"}}})),
        headers=_signed(body.encode(), "issue", "s4"),
    )
    assert unknown.json() == {"status": "no_group", "groups": []}


def test_legacy_plugin_needs_the_token(make_app: Callable[..., Any]) -> None:
    app = make_app()
    body = fixture_bytes("sentry", "c_legacy_webhooks_plugin_real_zulip.json")
    refused = app.client.post("/webhook/sentry", content=body)
    wrong = app.client.post("/webhook/sentry?token=nope", content=body)
    assert (refused.status_code, wrong.status_code) == (401, 401)
    assert app.counts() == (0, 0)
    ok = app.client.post(f"/webhook/sentry?token={TOKEN}", content=body)
    header = app.client.post("/webhook/sentry", content=body, headers={"x-autotriage-token": TOKEN})
    assert ok.json()["events"] == 1
    assert header.json()["duplicates"] == 1  # same event id
    assert app.events()[0]["link"].endswith("referrer=webhooks_plugin")


def test_deeply_nested_hook_is_400(make_app: Callable[..., Any]) -> None:
    app = make_app()
    body = b'{"action":"created","data":' + b'{"a":' * 200 + b"1" + b"}" * 200 + b"}"
    response = app.client.post("/webhook/sentry", content=body, headers=_signed(body, "issue"))
    assert response.status_code == 400
    assert "nested" in response.json()["error"]["message"]
    assert app.counts() == (0, 0)


LATEST = {
    "eventID": "c" * 32,
    "groupID": "1170820242",
    "dateCreated": "2019-08-19T20:58:37Z",
    "platform": "javascript",
    "tags": [{"key": "environment", "value": "prod"}],
    "entries": [
        {
            "type": "exception",
            "data": {
                "values": [
                    {
                        "type": "ReferenceError",
                        "value": "blooopy is not defined",
                        "stacktrace": {
                            "frames": [
                                {
                                    "filename": "src/runner.js",
                                    "absPath": "/app/src/runner.js",
                                    "function": "run",
                                    "lineNo": 9,
                                    "inApp": True,
                                }
                            ]
                        },
                    }
                ]
            },
        }
    ],
}


@pytest.fixture
def fake_sentry() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server answering the latest-event endpoint; records request paths."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path + " " + self.headers.get("authorization", ""))
            if self.path.endswith("/issues/1170820242/events/latest/"):
                body, status = json.dumps(LATEST).encode(), 200
            else:
                body, status = b'{"detail":"not found"}', 404
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


def test_issue_created_fetches_frames_with_a_token(
    make_app: Callable[..., Any], fake_sentry: tuple[str, list[str]]
) -> None:
    url, seen = fake_sentry
    app = make_app(SENTRY_URL=url, SENTRY_AUTH_TOKEN="sntrys_test", SENTRY_ORGANIZATION="org")
    body = VECTOR["raw_body"].encode()
    response = app.client.post("/webhook/sentry", content=body, headers=_signed(body, "issue"))
    assert response.json()["events"] == 1
    assert seen == ["/api/0/organizations/org/issues/1170820242/events/latest/ Bearer sntrys_test"]
    (stored,) = app.events()
    assert stored["source_event_id"] == "issue-1170820242"
    assert stored["exceptions"][0]["frames"][0]["abs_path"] == "/app/src/runner.js"
    assert stored["contexts"]["sentry"]["short_id"] == "FRONT-END-9"


def test_issue_created_keeps_the_payload_when_the_api_fails(
    make_app: Callable[..., Any], fake_sentry: tuple[str, list[str]]
) -> None:
    url, _ = fake_sentry
    app = make_app(SENTRY_URL=url, SENTRY_AUTH_TOKEN="sntrys_test")
    payload = json.loads(VECTOR["raw_body"])
    payload["data"]["issue"]["id"] = "404404"
    body = json.dumps(payload).encode()
    assert (
        app.client.post("/webhook/sentry", content=body, headers=_signed(body, "issue")).json()[
            "events"
        ]
        == 1
    )
    (stored,) = app.events()
    assert stored["exceptions"][0]["type"] == "ReferenceError"
    assert stored["exceptions"][0]["frames"][0]["filename"] == "/runner"
