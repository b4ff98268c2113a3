"""``POST /webhook/slack``: Events API requests signed in the test with the fixtures' fake
secret, the clock injected at the fixtures' timestamp, and the simple ``{"text"}`` use."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from autotriage.config import Settings
from autotriage.services import build_services
from autotriage.store.tables import Event
from autotriage.web.app import create_app
from tests.support import fixture_bytes

SECRET = "test-signing-secret-not-a-real-one-000"
TS = 1_780_000_000


def sign(body: bytes, ts: int = TS, secret: str = SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return {
        "x-slack-request-timestamp": str(ts),
        "x-slack-signature": f"v0={digest}",
        "content-type": "application/json",
    }


def fixture_headers(name: str) -> dict[str, str]:
    return json.loads(fixture_bytes("slack", name))  # type: ignore[no-any-return]


class Served:
    """An app served over loopback HTTP, and the app itself (for its store)."""

    def __init__(self, app: FastAPI, http: httpx.Client) -> None:
        self.app = app
        self.http = http
        self.post = http.post


@pytest.fixture
def make_client(
    make_settings: Callable[..., Settings], serve_app: Callable[[FastAPI], httpx.Client]
) -> Callable[..., Served]:
    def build(now: float = TS, **env: Any) -> Served:
        env.setdefault("SLACK_SIGNING_SECRET", SECRET)
        env = {k: v for k, v in env.items() if v != ""}
        settings = make_settings(AUTOTRIAGE_WORKER="false", **env)
        app = create_app(build_services(settings, clock=lambda: now))
        return Served(app, serve_app(app))

    return build


def stored(client: Served) -> list[str]:
    store = client.app.state.store
    with store.reading() as session:
        return list(session.scalars(select(Event.title).order_by(Event.id)))


def test_url_verification_answers_the_challenge(make_client: Callable[..., Served]) -> None:
    client = make_client()
    body = fixture_bytes("slack", "url_verification.body.json")
    response = client.post(
        "/webhook/slack", content=body, headers=fixture_headers("url_verification.headers.json")
    )
    expected = json.loads(fixture_bytes("slack", "url_verification.expected_response.json"))
    assert response.status_code == expected["status"]
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == expected["body"]


def test_user_message_stored_once_across_redelivery(make_client: Callable[..., Served]) -> None:
    client = make_client()
    body = fixture_bytes("slack", "event_callback_user_message.body.json")
    first = client.post(
        "/webhook/slack",
        content=body,
        headers=fixture_headers("event_callback_user_message.headers.json"),
    )
    assert first.status_code == 200
    assert first.json()["status"] == "accepted"
    retry = client.post(
        "/webhook/slack",
        content=fixture_bytes("slack", "event_callback_user_message_retry1.body.json"),
        headers=fixture_headers("event_callback_user_message_retry1.headers.json"),
    )
    assert retry.status_code == 200
    assert retry.json()["status"] == "duplicate"
    assert stored(client) == ["ZeroDivisionError: division by zero"]


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("sentry_issue_alert.event_callback.json", "ZeroDivisionError: division by zero"),
        ("python_logging_handler.event_callback.json", "ZeroDivisionError: division by zero"),
        ("grafana_alert.event_callback.json", "[FIRING:1] OrdersApi5xx (orders-api critical)"),
        (
            "aws_chatbot_cloudwatch_alarm.ILLUSTRATIVE.event_callback.json",
            "*CloudWatch Alarm | orders-api-5xx-high | us-east-1 | Account: 123456789012*",
        ),
    ],
)
def test_alert_bots_messages(make_client: Callable[..., Served], name: str, title: str) -> None:
    client = make_client()
    body = fixture_bytes("slack", "alerts", name)
    response = client.post("/webhook/slack", content=body, headers=sign(body))
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "accepted"
    assert stored(client) == [title]


def test_traceback_in_an_attachment_keeps_its_frames(make_client: Callable[..., Served]) -> None:
    client = make_client()
    body = fixture_bytes("slack", "alerts", "python_logging_handler.event_callback.json")
    client.post("/webhook/slack", content=body, headers=sign(body))
    store = client.app.state.store
    with store.reading() as session:
        payload = session.scalars(select(Event.payload)).one()
    frames = payload["exceptions"][-1]["frames"]
    assert [(f["filename"], f["lineno"]) for f in frames] == [
        ("/srv/app/orders/views.py", 88),
        ("/srv/app/orders/pricing.py", 41),
    ]
    assert payload["tags"]["slack_channel"] == "C0ALERTS001"


def _message(**event: Any) -> bytes:
    payload = json.loads(fixture_bytes("slack", "event_callback_user_message.body.json"))
    payload["event"].update(event)
    payload["event_id"] = "Ev0OTHER" + str(abs(hash(json.dumps(event))) % 10_000)
    return json.dumps(payload).encode()


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        ({"user": "U0OURBOT01"}, "own message"),
        ({"app_id": "A0OURAPP01", "bot_id": "B0OURS", "user": None}, "own message"),
        ({"text": "lunch at noon?", "blocks": []}, "no error"),
        (
            {
                "user": None,
                "bot_id": "B0HOOKAPP",
                "text": "New error: ZeroDivisionError: division by zero",
                "blocks": [
                    {
                        "type": "context",
                        "elements": [
                            {"type": "mrkdwn", "text": "autotriage · new error · source: x"}
                        ],
                    }
                ],
            },
            "own message",
        ),
        ({"subtype": "message_changed"}, "subtype"),
        ({"text": "[RESOLVED] OrdersApi5xx ERROR rate back to normal", "blocks": []}, "no error"),
    ],
)
def test_ignored_messages_store_nothing(
    make_client: Callable[..., Served], event: dict[str, Any], reason: str
) -> None:
    client = make_client()
    body = _message(**event)
    response = client.post("/webhook/slack", content=body, headers=sign(body))
    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    assert reason in response.json()["reason"]
    assert stored(client) == []


def test_channel_allow_list(make_client: Callable[..., Served]) -> None:
    client = make_client(SLACK_CHANNELS="C0OTHER001, C0OTHER002")
    body = fixture_bytes("slack", "event_callback_user_message.body.json")
    response = client.post("/webhook/slack", content=body, headers=sign(body))
    assert response.json()["status"] == "ignored"
    assert "SLACK_CHANNELS" in response.json()["reason"]
    assert stored(client) == []
    allowed = make_client(SLACK_CHANNELS="C0OTHER001,C0ALERTS001")
    assert allowed.post("/webhook/slack", content=body, headers=sign(body)).json()["status"] == (
        "accepted"
    )


@pytest.mark.parametrize(
    ("mutate", "status", "code"),
    [
        (lambda b, h: (b + b" ", h), 401, "unauthorized"),  # body changed after signing
        (lambda b, h: (b, {**h, "x-slack-signature": "v0=" + "0" * 64}), 401, "unauthorized"),
        (
            lambda b, h: (b, {k: v for k, v in h.items() if k != "x-slack-signature"}),
            401,
            "unauthorized",
        ),
        (lambda b, h: (b, sign(b, TS - 301)), 401, "unauthorized"),  # stale
        (lambda b, h: (b, sign(b, TS + 301)), 401, "unauthorized"),  # from the future
        (lambda b, h: (b, sign(b, secret="another-secret")), 401, "unauthorized"),
        (lambda b, h: (b"{not json", sign(b"{not json")), 400, "invalid_payload"),
        (lambda b, h: (b"[1, 2]", sign(b"[1, 2]")), 400, "invalid_payload"),
        (
            lambda b, h: (
                b'{"type":"event_callback","event":{}}',
                sign(b'{"type":"event_callback","event":{}}'),
            ),
            400,
            "invalid_payload",
        ),
    ],
)
def test_bad_requests_get_4xx_and_store_nothing(
    make_client: Callable[..., Served],
    mutate: Callable[[bytes, dict[str, str]], tuple[bytes, dict[str, str]]],
    status: int,
    code: str,
) -> None:
    client = make_client()
    body = fixture_bytes("slack", "event_callback_user_message.body.json")
    body, headers = mutate(body, sign(body))
    response = client.post("/webhook/slack", content=body, headers=headers)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert stored(client) == []


def test_signed_requests_refused_without_a_signing_secret(
    make_client: Callable[..., Served],
) -> None:
    client = make_client(SLACK_SIGNING_SECRET="")
    body = fixture_bytes("slack", "event_callback_user_message.body.json")
    assert client.post("/webhook/slack", content=body, headers=sign(body)).status_code == 401
    assert stored(client) == []


def test_simple_text_use_with_webhook_secret(make_client: Callable[..., Served]) -> None:
    client = make_client(WEBHOOK_SECRET="s3cret-value")
    text = "Traceback (most recent call last):\n  File \"app.py\", line 3, in f\nKeyError: 'x'"
    body = json.dumps({"text": f"```{text}```"}).encode()
    refused = client.post("/webhook/slack", content=body)
    assert refused.status_code == 401
    assert stored(client) == []
    in_query = client.post("/webhook/slack?token=s3cret-value", content=body)
    assert in_query.status_code == 401
    assert "query string" in in_query.json()["error"]["message"]
    assert stored(client) == []
    token = {"x-autotriage-token": "s3cret-value"}
    ok = client.post("/webhook/slack", content=body, headers=token)
    assert ok.status_code == 200
    assert ok.json()["events"] == 1
    assert stored(client) == ["KeyError: 'x'"]
    empty = client.post("/webhook/slack", content=b'{"text": ""}', headers=token)
    assert empty.status_code == 400
