"""The generic webhook document: schema, field errors, signature and freshness."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from autotriage.errors import PayloadInvalid, SignatureInvalid
from autotriage.sources.generic import webhook as generic

SECRET = "generic-secret"
NOW = 1_780_000_000


def _headers(body: bytes, stamp: int = NOW, secret: str = SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return {"x-autotriage-timestamp": str(stamp), "x-autotriage-signature": f"sha256={digest}"}


def test_full_document_maps_every_field() -> None:
    doc = {
        "message": "nightly import failed",
        "level": "CRITICAL",
        "exception": {
            "type": "ImportError",
            "value": "no row 7",
            "frames": [
                {"filename": "jobs/run.py", "function": "main", "lineno": 3},
                {
                    "filename": "jobs/load.py",
                    "function": "load",
                    "lineno": 44,
                    "context_line": "rows[7]",
                },
            ],
        },
        "service": "etl",
        "environment": "prod",
        "release": "9.1",
        "platform": "python",
        "tags": {"job": "nightly"},
        "fingerprint": ["etl", "import"],
        "event_id": "run-81",
        "timestamp": "2026-11-29T01:00:00Z",
        "link": "https://ci.example/run/81",
    }
    (event,) = generic.parse(json.dumps(doc).encode(), {})
    assert event.level == "fatal"
    assert event.title == "ImportError: no row 7"
    assert event.exceptions[0].frames[-1].function == "load"
    assert event.exceptions[0].frames[-1].in_app is True
    assert (event.service, event.environment, event.release) == ("etl", "prod", "9.1")
    assert event.fingerprint_hint == ["etl", "import"]
    assert event.source_event_id == "run-81"
    assert event.occurred_at is not None
    assert event.occurred_at.hour == 1
    assert event.link == "https://ci.example/run/81"


def test_stacktrace_text_is_parsed() -> None:
    trace = (
        "Traceback (most recent call last):\n"
        '  File "/srv/job.py", line 5, in run\n'
        "    1 / 0\n"
        "ZeroDivisionError: division by zero\n"
    )
    doc = {"exception": {"type": "ZeroDivisionError", "stacktrace": trace}}
    (event,) = generic.parse(json.dumps(doc).encode(), {})
    assert event.exceptions[-1].frames[0].abs_path == "/srv/job.py"
    assert event.message == "division by zero"


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ({}, "message: required"),
        ({"message": 5}, "message: Input should be a valid string"),
        ({"message": "x", "level": "loud"}, "level: must be"),
        ({"message": "x", "colour": "red"}, "colour: Extra inputs are not permitted"),
        ({"exception": {"value": "no type"}}, "exception.type: Field required"),
        (
            {"exception": {"type": "E", "frames": [{"lineno": "x"}]}},
            "exception.frames.0.lineno: Input should be a valid integer",
        ),
        ({"message": "x", "tags": {"a": 1}}, "tags.a: Input should be a valid string"),
        ([1, 2], "body: Input should be"),
    ],
)
def test_invalid_documents_name_the_field(doc: object, field: str) -> None:
    with pytest.raises(PayloadInvalid) as caught:
        generic.parse(json.dumps(doc).encode(), {})
    assert caught.value.reason.startswith(field)


def test_signature_covers_timestamp_and_body() -> None:
    body = b'{"message":"x"}'
    generic.verify(body, _headers(body), SECRET)
    moved = _headers(body)
    moved["x-autotriage-timestamp"] = str(NOW + 1)
    with pytest.raises(SignatureInvalid, match="does not match"):
        generic.verify(body, moved, SECRET)
    with pytest.raises(SignatureInvalid, match="does not match"):
        generic.verify(body + b" ", _headers(body), SECRET)
    with pytest.raises(SignatureInvalid, match="does not match"):
        generic.verify(body, _headers(body, secret="other"), SECRET)
    with pytest.raises(SignatureInvalid, match="sha256="):
        generic.verify(body, {"x-autotriage-timestamp": str(NOW)}, SECRET)
    with pytest.raises(SignatureInvalid, match="unix seconds"):
        generic.verify(body, {}, SECRET)
    with pytest.raises(SignatureInvalid, match="not configured"):
        generic.verify(body, _headers(body), None)


def test_a_signature_of_the_body_alone_is_accepted_too() -> None:
    body = b'{"message":"x"}'
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {"x-autotriage-timestamp": str(NOW), "x-autotriage-signature": f"sha256={digest}"}
    generic.verify(body, headers, SECRET)
    with pytest.raises(SignatureInvalid, match="does not match"):
        generic.verify(body + b" ", headers, SECRET)
    wrong = hmac.new(b"other", body, hashlib.sha256).hexdigest()
    with pytest.raises(SignatureInvalid, match="does not match"):
        generic.verify(body, {**headers, "x-autotriage-signature": f"sha256={wrong}"}, SECRET)


@pytest.mark.parametrize(
    ("offset", "fresh"), [(0, True), (299, True), (-299, True), (301, False), (-301, False)]
)
def test_timestamp_must_be_within_five_minutes(offset: int, fresh: bool) -> None:
    headers = _headers(b"{}", stamp=NOW + offset)
    if fresh:
        generic.check_fresh(headers, NOW, 300)
    else:
        with pytest.raises(SignatureInvalid, match="300s"):
            generic.check_fresh(headers, NOW, 300)
