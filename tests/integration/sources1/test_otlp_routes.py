"""/v1/logs and /v1/traces in-process: keys, encodings, resends, and refusals."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from typing import Any

import pytest
from google.rpc.status_pb2 import Status
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse

EXPORT = json.dumps(
    {
        "resourceLogs": [
            {
                "resource": {
                    "attributes": [{"key": "service.name", "value": {"stringValue": "api"}}]
                },
                "scopeLogs": [
                    {
                        "logRecords": [
                            {
                                "timeUnixNano": "1780000000000000000",
                                "severityNumber": 17,
                                "body": {"stringValue": "payment failed"},
                                "attributes": [
                                    {
                                        "key": "exception.type",
                                        "value": {"stringValue": "TimeoutError"},
                                    },
                                    {
                                        "key": "exception.message",
                                        "value": {"stringValue": "gateway timed out"},
                                    },
                                ],
                            }
                        ]
                    }
                ],
            }
        ]
    }
).encode()
JSON_HEADERS = {"content-type": "application/json"}


def test_json_export_with_bearer_and_resend(make_app: Callable[..., Any]) -> None:
    app = make_app()
    headers = {**JSON_HEADERS, "authorization": f"Bearer {app.key}"}
    first = app.client.post("/v1/logs", content=EXPORT, headers=headers)
    resend = app.client.post(
        "/v1/logs",
        content=gzip.compress(EXPORT),
        headers={**JSON_HEADERS, "x-autotriage-key": app.key, "content-encoding": "gzip"},
    )
    assert first.status_code == 200
    assert first.json() == {}
    assert resend.status_code == 200
    assert app.counts() == (1, 0)
    assert app.events()[0]["service"] == "api"


def test_protobuf_answer_is_protobuf(make_app: Callable[..., Any]) -> None:
    app = make_app()
    response = app.client.post(
        "/v1/logs",
        content=b"",
        headers={"content-type": "application/x-protobuf", "authorization": f"Bearer {app.key}"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-protobuf"
    parsed = ExportLogsServiceResponse.FromString(response.content)
    assert parsed.partial_success.rejected_log_records == 0


@pytest.mark.parametrize(
    ("path", "body", "headers", "status"),
    [
        ("/v1/logs", EXPORT, JSON_HEADERS, 401),
        ("/v1/traces", EXPORT, {**JSON_HEADERS, "authorization": "Bearer " + "f" * 32}, 401),
        ("/v1/logs", EXPORT, {"content-type": "text/plain", "x-autotriage-key": "KEY"}, 400),
        (
            "/v1/logs",
            b"\xff\x01",
            {"content-type": "application/x-protobuf", "x-autotriage-key": "KEY"},
            400,
        ),
        (
            "/v1/logs",
            gzip.compress(b" " * (20 * 1024 * 1024)),
            {**JSON_HEADERS, "content-encoding": "gzip", "x-autotriage-key": "KEY"},
            413,
        ),
        (
            "/v1/logs",
            b'{"resourceLogs":' + b"[" * 500 + b"]" * 500 + b"}",
            {**JSON_HEADERS, "x-autotriage-key": "KEY"},
            400,
        ),
    ],
)
def test_refusals_store_nothing(
    make_app: Callable[..., Any], path: str, body: bytes, headers: dict[str, str], status: int
) -> None:
    app = make_app()
    headers = {k: v.replace("KEY", app.key) for k, v in headers.items()}
    response = app.client.post(path, content=body, headers=headers)
    assert response.status_code == status, response.text
    # The OTLP spec: every error body is a google.rpc.Status in the request's encoding.
    if "protobuf" in headers.get("content-type", ""):
        assert response.headers["content-type"] == "application/x-protobuf"
        error = Status.FromString(response.content)
        message, code = error.message, error.code
    else:
        assert response.headers["content-type"] == "application/json"
        message, code = response.json()["message"], response.json()["code"]
    assert message
    assert code == {400: 3, 401: 16, 413: 8}[status]
    assert app.counts() == (0, 0)
