"""``POST /webhook/firehose``: the fixture delivery, its exact replies, and refusals."""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from autotriage.config import Settings
from autotriage.services import build_services
from autotriage.sources.aws import firehose
from autotriage.store.tables import Event
from autotriage.web.app import create_app
from tests.support import fixture_bytes

KEY = "test-firehose-access-key"
NOW = 1_780_000_000.035


@pytest.fixture
def served(
    make_settings: Callable[..., Settings], serve_app: Callable[[FastAPI], httpx.Client]
) -> tuple[FastAPI, httpx.Client]:
    settings = make_settings(AUTOTRIAGE_WORKER="false", FIREHOSE_ACCESS_KEY=KEY)
    app = create_app(build_services(settings, clock=lambda: NOW))
    return app, serve_app(app)


def _headers(**changes: str | None) -> dict[str, str]:
    headers: dict[str, Any] = json.loads(
        fixture_bytes("aws", "firehose", "http_delivery_request.headers.json")
    )
    headers.pop("Content-Length")
    for name, value in changes.items():
        headers.pop(name, None)
        if value is not None:
            headers[name] = value
    return headers


def _count(app: FastAPI) -> int:
    with app.state.store.reading() as session:
        return int(session.scalar(select(func.count()).select_from(Event)) or 0)


def _expected(name: str) -> dict[str, Any]:
    data = json.loads(fixture_bytes("aws", "firehose", name))
    return {k: v for k, v in data.items() if not k.startswith("_")}


def test_delivery_stores_the_reassembled_error_once(served: tuple[FastAPI, httpx.Client]) -> None:
    app, http = served
    body = fixture_bytes("aws", "firehose", "http_delivery_request.body.json")
    response = http.post("/webhook/firehose", content=body, headers=_headers())
    assert response.status_code == 200
    assert response.json() == _expected("http_delivery_response.success.json")
    with app.state.store.reading() as session:
        [row] = session.scalars(select(Event)).all()
    assert row.title == "ZeroDivisionError: division by zero"
    assert row.source == "cloudwatch"
    assert row.payload["tags"]["service"] == "orders-api"  # a common attribute
    again = http.post("/webhook/firehose", content=body, headers=_headers())
    assert again.status_code == 200
    assert _count(app) == 1


def test_already_decompressed_records_are_read(served: tuple[FastAPI, httpx.Client]) -> None:
    app, http = served
    message = fixture_bytes("aws", "firehose", "cwl_decoded.data_message.json")
    body = json.dumps(
        {
            "requestId": "r-plain",
            "timestamp": 1,
            "records": [
                {"data": base64.b64encode(message).decode()},
                {
                    "data": base64.b64encode(
                        fixture_bytes("aws", "firehose", "cwl_decoded.control_message.json")
                    ).decode()
                },
            ],
        }
    ).encode()
    response = http.post(
        "/webhook/firehose",
        content=body,
        headers=_headers(**{"X-Amz-Firehose-Request-Id": "r-plain"}),
    )
    assert response.json() == {"requestId": "r-plain", "timestamp": 1_780_000_000_035}
    assert _count(app) == 1


def _gz(data: bytes) -> str:
    return base64.b64encode(gzip.compress(data)).decode()


@pytest.mark.parametrize(
    ("body", "headers", "status", "reason"),
    [
        (None, {"X-Amz-Firehose-Access-Key": "wrong"}, 401, "invalid X-Amz-Firehose-Access-Key"),
        (None, {"X-Amz-Firehose-Access-Key": None}, 401, "invalid X-Amz-Firehose-Access-Key"),
        (b"{not json", {}, 400, "not valid JSON"),
        (
            b'{"requestId":"5b3f1e2a-8c4d-4e6f-9a0b-1c2d3e4f5a6b","records":"x"}',
            {},
            400,
            "`records` must be a list",
        ),
        (
            b'{"requestId":"5b3f1e2a-8c4d-4e6f-9a0b-1c2d3e4f5a6b","records":[{"data":"%%%"}]}',
            {},
            400,
            "not valid base64",
        ),
        (
            json.dumps(
                {
                    "requestId": "5b3f1e2a-8c4d-4e6f-9a0b-1c2d3e4f5a6b",
                    "records": [{"data": base64.b64encode(b"\x1f\x8bjunk").decode()}],
                }
            ).encode(),
            {},
            400,
            "not valid gzip",
        ),
        (b'{"requestId":"other","records":[]}', {}, 400, "does not match"),
    ],
)
def test_refusals_use_firehose_error_shape_and_store_nothing(
    served: tuple[FastAPI, httpx.Client],
    body: bytes | None,
    headers: dict[str, str | None],
    status: int,
    reason: str,
) -> None:
    app, http = served
    good = fixture_bytes("aws", "firehose", "http_delivery_request.body.json")
    # a valid record first: a later bad one must still store nothing of the delivery
    response = http.post("/webhook/firehose", content=body or good, headers=_headers(**headers))
    assert response.status_code == status
    reply = response.json()
    assert reason in reply["errorMessage"]
    assert reply["requestId"] == "5b3f1e2a-8c4d-4e6f-9a0b-1c2d3e4f5a6b"
    assert reply["timestamp"] == 1_780_000_000_035
    assert _count(app) == 0


def test_a_bad_record_after_a_good_one_stores_nothing(served: tuple[FastAPI, httpx.Client]) -> None:
    app, http = served
    message = fixture_bytes("aws", "firehose", "cwl_decoded.data_message.json")
    body = json.dumps(
        {
            "requestId": "5b3f1e2a-8c4d-4e6f-9a0b-1c2d3e4f5a6b",
            "records": [{"data": _gz(message)}, {"data": 7}],
        }
    ).encode()
    response = http.post("/webhook/firehose", content=body, headers=_headers())
    assert response.status_code == 400
    assert _count(app) == 0


def test_a_gzip_bomb_is_refused(served: tuple[FastAPI, httpx.Client]) -> None:
    app, http = served
    bomb = base64.b64encode(gzip.compress(b"0" * (33 * 1024 * 1024))).decode()
    body = json.dumps(
        {"requestId": "5b3f1e2a-8c4d-4e6f-9a0b-1c2d3e4f5a6b", "records": [{"data": bomb}]}
    ).encode()
    response = http.post("/webhook/firehose", content=body, headers=_headers())
    assert response.status_code == 413
    assert _count(app) == 0


def test_without_a_configured_key_everything_is_refused(
    make_settings: Callable[..., Settings], serve_app: Callable[[FastAPI], httpx.Client]
) -> None:
    app = create_app(make_settings(AUTOTRIAGE_WORKER="false"))
    http = serve_app(app)
    body = fixture_bytes("aws", "firehose", "http_delivery_request.body.json")
    response = http.post("/webhook/firehose", content=body, headers=_headers())
    assert response.status_code == 401
    assert _count(app) == 0


def _delivery(*records: bytes, request_id: str = "5b3f1e2a-8c4d-4e6f-9a0b-1c2d3e4f5a6b") -> bytes:
    return json.dumps(
        {"requestId": request_id, "records": [{"data": _gz(r)} for r in records]}
    ).encode()


def test_a_record_of_plain_error_lines_stores_a_bounded_number_of_events(
    served: tuple[FastAPI, httpx.Client],
) -> None:
    # 2 MB of distinct error lines once became one event each (150,000 of them).
    lines = "".join(f"ERROR payment {n} failed\n" for n in range(90_000)).encode()
    assert len(lines) > 2_000_000
    app, http = served
    response = http.post("/webhook/firehose", content=_delivery(lines), headers=_headers())
    assert response.status_code == 200, response.text
    assert _count(app) == firehose.MAX_EVENTS
    with app.state.store.reading() as session:
        last = session.scalars(select(Event).order_by(Event.id.desc())).first()
    assert last is not None
    assert last.payload["contexts"]["firehose"]["unread"] == [
        f"records[0] past {firehose.MAX_LOG_EVENTS} lines",
        f"errors past the first {firehose.MAX_EVENTS}",
    ]
    registry = app.state.services.metrics.registry

    def unread(unit: str) -> float | None:
        labels = {"source": "firehose", "unit": unit}
        return registry.get_sample_value("autotriage_unread_total", labels)

    # 90,000 lines, MAX_LOG_EVENTS read: the rest is counted where /metrics shows it.
    assert unread("lines") == 90_000 - firehose.MAX_LOG_EVENTS
    assert unread("errors") == firehose.MAX_LOG_EVENTS - firehose.MAX_EVENTS
    again = http.post("/webhook/firehose", content=_delivery(lines), headers=_headers())
    assert again.status_code == 200, again.text
    # Firehose retried the same delivery: stored and counted once.
    assert _count(app) == firehose.MAX_EVENTS
    assert unread("lines") == 90_000 - firehose.MAX_LOG_EVENTS


def test_only_the_first_lines_of_a_record_are_read_and_the_rest_is_named() -> None:
    filler = b"INFO all is well\n" * firehose.MAX_LOG_EVENTS
    early = b"ERROR EarlyError: read\n"
    [event] = firehose.parse(_delivery(early + filler + b"ERROR LateError: never read\n"), {})
    assert "EarlyError" in event.message
    assert event.contexts["firehose"] == {
        "unread": [f"records[0] past {firehose.MAX_LOG_EVENTS} lines"]
    }
    last = firehose.MAX_LOG_EVENTS  # the batch holds one event more than CloudWatch sends
    batch = [
        {"id": str(n), "timestamp": 1, "message": f"ERROR E{n}: x" if n in (0, last) else "ok"}
        for n in range(last + 1)
    ]
    message = {"messageType": "DATA_MESSAGE", "logGroup": "g", "logStream": "s", "logEvents": batch}
    [only] = firehose.parse(_delivery(json.dumps(message).encode()), {})
    assert "E0" in only.message  # the error past the batch cap is not read


def test_records_are_decoded_one_at_a_time_and_bounded_together(
    served: tuple[FastAPI, httpx.Client],
) -> None:
    app, http = served
    record = b"INFO fine\n" * (firehose.MAX_INFLATED_BYTES // 10)  # just within one record
    count = firehose.MAX_DELIVERY_INFLATED_BYTES // len(record) + 1
    response = http.post(
        "/webhook/firehose", content=_delivery(*[record] * count), headers=_headers()
    )
    assert response.status_code == 413
    assert "inflate past" in response.json()["errorMessage"]
    assert "together" in response.json()["errorMessage"]
    assert _count(app) == 0
