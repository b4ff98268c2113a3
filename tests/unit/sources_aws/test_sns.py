"""``POST /webhook/sns``: the fixtures' signatures (v1 and v2) verified with the fixture
certificate, served by a local server that the fixture's SigningCertURL is mapped to."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from autotriage.config import Settings
from autotriage.services import build_services
from autotriage.sources.aws import sns
from autotriage.store.tables import Event
from autotriage.web.app import create_app
from tests.support import fixture_bytes

TOPIC = "arn:aws:sns:us-east-1:123456789012:cw-alarms-to-triage"
CERT = fixture_bytes("aws", "sns", "TEST_ONLY_signing_cert.pem")


class FakeSNS:
    """A local stand-in for sns.us-east-1.amazonaws.com: the certificate and confirmations."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests.append(self.path)
                if self.path.endswith(".pem"):
                    body, status = CERT, 200
                elif "Action=ConfirmSubscription" in self.path:
                    body, status = b"<ConfirmSubscriptionResponse/>", 200
                else:
                    body, status = b"not found", 404
                self.send_response(status)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


class ToLocal(httpx.BaseTransport):
    """Sends every request to the fake, remembering the URL it was meant for."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.inner = httpx.HTTPTransport()
        self.urls: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.urls.append(str(request.url))
        request.url = request.url.copy_with(scheme="http", host="127.0.0.1", port=self.port)
        return self.inner.handle_request(request)


@pytest.fixture
def fake_sns() -> Iterator[FakeSNS]:
    fake = FakeSNS()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


@pytest.fixture
def served(
    make_settings: Callable[..., Settings],
    serve_app: Callable[[FastAPI], httpx.Client],
    fake_sns: FakeSNS,
) -> Iterator[Callable[..., tuple[FastAPI, httpx.Client, ToLocal]]]:
    injected: list[httpx.Client] = []

    def build(topics: str = TOPIC) -> tuple[FastAPI, httpx.Client, ToLocal]:
        settings = make_settings(AUTOTRIAGE_WORKER="false", SNS_TOPIC_ARNS=topics)
        transport = ToLocal(fake_sns.port)
        services = build_services(settings, transport=transport)
        injected.append(services.http)
        app = create_app(services)
        return app, serve_app(app), transport

    yield build
    for client in injected:
        client.close()


def _fixture(kind: str) -> tuple[dict[str, Any], dict[str, str]]:
    body = json.loads(fixture_bytes("aws", "sns", f"{kind}.body.json"))
    headers = json.loads(fixture_bytes("aws", "sns", f"{kind}.headers.json"))
    return body, headers


def _post(http: httpx.Client, body: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
    return http.post("/webhook/sns", content=json.dumps(body).encode(), headers=headers)


def _count(app: FastAPI) -> int:
    with app.state.store.reading() as session:
        return int(session.scalar(select(func.count()).select_from(Event)) or 0)


def test_v2_alarm_notification_is_verified_and_stored_once(served: Callable[..., Any]) -> None:
    app, http, transport = served()
    body, headers = _fixture("notification_cloudwatch_alarm")
    first = _post(http, body, headers)
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "accepted"
    again = _post(http, body, headers)
    assert again.json()["status"] == "duplicate"
    assert transport.urls == [body["SigningCertURL"]]  # fetched once, then cached
    with app.state.store.reading() as session:
        [row] = session.scalars(select(Event)).all()
    assert row.title == "CloudWatchAlarm: orders-api-5xx-high"
    assert row.payload["tags"]["metric"] == "HTTPCode_Target_5XX_Count"
    assert row.payload["tags"]["region"] == "us-east-1"
    assert row.payload["message"].startswith("CloudWatch alarm orders-api-5xx-high: Threshold")


def test_v1_subscription_confirmation_is_confirmed_for_an_allowed_topic(
    served: Callable[..., Any], fake_sns: FakeSNS
) -> None:
    app, http, transport = served()
    body, headers = _fixture("subscription_confirmation")
    response = _post(http, body, headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "confirmed", "topic": TOPIC}
    assert transport.urls[-1] == body["SubscribeURL"]
    assert any("Action=ConfirmSubscription" in path for path in fake_sns.requests)
    assert _count(app) == 0


def test_unknown_topic_is_refused_before_any_request(
    served: Callable[..., Any], fake_sns: FakeSNS
) -> None:
    app, http, transport = served(topics="arn:aws:sns:us-east-1:123456789012:someone-else")
    for kind in ("subscription_confirmation", "notification_cloudwatch_alarm"):
        body, headers = _fixture(kind)
        response = _post(http, body, headers)
        assert response.status_code == 403
        assert "SNS_TOPIC_ARNS" in response.json()["error"]["message"]
    assert transport.urls == []
    assert fake_sns.requests == []
    assert _count(app) == 0


@pytest.mark.parametrize(
    "url",
    [
        "http://sns.us-east-1.amazonaws.com/SimpleNotificationService-x.pem",
        "https://sns.us-east-1.amazonaws.com.evil.example/cert.pem",
        "https://evil.example/sns.us-east-1.amazonaws.com/cert.pem",
        "https://sns.us-east-1.amazonaws.com@evil.example/cert.pem",
        "https://sns.us-east-1.amazonaws.com:8443/cert.pem",
        "https://sns.us-east-1.amazonaws.com/cert.txt",
        "https://s3.amazonaws.com/sns/cert.pem",
        "https://169.254.169.254/latest/meta-data/x.pem",
        "file:///etc/passwd.pem",
    ],
)
def test_foreign_certificate_urls_are_refused_and_never_fetched(
    served: Callable[..., Any], fake_sns: FakeSNS, url: str
) -> None:
    app, http, transport = served()
    body, headers = _fixture("notification_cloudwatch_alarm")
    body["SigningCertURL"] = url
    response = _post(http, body, headers)
    assert response.status_code == 401
    assert "SNS URL" in response.json()["error"]["message"]
    assert transport.urls == []
    assert fake_sns.requests == []
    assert _count(app) == 0


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"Message": '{"AlarmName":"tampered"}'}, 401),
        ({"Subject": "ALARM: something else"}, 401),  # Subject is signed when present
        ({"Subject": None}, 401),
        ({"Timestamp": "2026-05-28T20:26:42.954Z"}, 401),
        ({"SignatureVersion": "1"}, 401),  # right key, wrong hash
        ({"SignatureVersion": "3"}, 401),
        ({"Signature": "not base64!"}, 401),
        ({"Type": "Bogus"}, 400),
        ({"TopicArn": None}, 400),
    ],
)
def test_tampered_messages_are_refused_and_store_nothing(
    served: Callable[..., Any], change: dict[str, Any], status: int
) -> None:
    app, http, _ = served()
    body, headers = _fixture("notification_cloudwatch_alarm")
    headers = {k: v for k, v in headers.items() if k not in ("x-amz-sns-message-type",)}
    for key, value in change.items():
        if value is None:
            body.pop(key)
        else:
            body[key] = value
    response = _post(http, body, headers)
    assert response.status_code == status, response.text
    assert _count(app) == 0


def test_malformed_bodies(served: Callable[..., Any]) -> None:
    app, http, _ = served()
    for raw in (b"{oops", b"[]", b'{"Type": "Notification"}'):
        response = http.post("/webhook/sns", content=raw)
        assert response.status_code == 400
    assert _count(app) == 0


def test_string_to_sign_for_a_confirmation_lists_the_documented_fields() -> None:
    body, _ = _fixture("subscription_confirmation")
    keys = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
    expected = "".join(f"{key}\n{body[key]}\n" for key in keys)
    assert sns.string_to_sign(body).decode() == expected


def test_alarm_back_to_ok_is_ignored() -> None:
    body, _ = _fixture("notification_cloudwatch_alarm")
    alarm = json.loads(body["Message"])
    alarm["NewStateValue"] = "OK"
    from autotriage.errors import Ignored

    with pytest.raises(Ignored):
        sns.alarm_event(body, alarm)


def test_alarm_occurrences_group_per_alarm() -> None:
    from autotriage.understanding.fingerprint import compute_fingerprint

    body, _ = _fixture("notification_cloudwatch_alarm")
    alarm = json.loads(body["Message"])
    first = sns.alarm_event(body, alarm)
    later = sns.alarm_event(
        {**body, "MessageId": "m-2"}, {**alarm, "NewStateReason": "Threshold Crossed: 42.0"}
    )
    other_name = "orders-api-latency-high"
    other_arn = str(alarm.get("AlarmArn", "")).rsplit(":", 1)[0] + f":{other_name}"
    other = sns.alarm_event(body, {**alarm, "AlarmName": other_name, "AlarmArn": other_arn})
    assert compute_fingerprint(first).primary == compute_fingerprint(later).primary
    assert compute_fingerprint(first).primary != compute_fingerprint(other).primary
    assert first.tags["region"] == "us-east-1"
