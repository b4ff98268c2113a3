"""`slack.verify` over raw bytes: slack_sdk's SignatureVerifier with our injected clock."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from autotriage.errors import SignatureInvalid
from autotriage.sources.slack import events as slack

SECRET = "test-signing-secret-not-a-real-one-000"
NOW = 1_780_000_000


def _headers(body: bytes, timestamp: int = NOW, secret: str = SECRET) -> dict[str, str]:
    base = b"v0:" + str(timestamp).encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"x-slack-request-timestamp": str(timestamp), "x-slack-signature": f"v0={digest}"}


def test_a_signed_body_passes_at_the_injected_time() -> None:
    body = '{"text": "Traceback … naïve"}'.encode()
    slack.verify(body, _headers(body), SECRET, now=NOW + 299)


@pytest.mark.parametrize(
    ("body", "headers", "now", "reason"),
    [
        (b"{}", _headers(b"{}"), NOW + 301, "more than 5 minutes"),
        (b"{}", _headers(b"{}", secret="another-secret"), NOW, "does not match"),
        (b'{"a":1}', _headers(b"{}"), NOW, "does not match"),
        (b"\xff\xfe{}", _headers(b"\xff\xfe{}"), NOW, "not UTF-8"),
        (b"{}", {}, NOW, "missing"),
    ],
)
def test_refusals_name_their_reason(
    body: bytes, headers: dict[str, str], now: int, reason: str
) -> None:
    with pytest.raises(SignatureInvalid, match=reason):
        slack.verify(body, headers, SECRET, now=now)
