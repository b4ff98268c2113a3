"""The one registry: it detects every source's fixtures, serves every source's routes,
and each entry's verifier takes the raw body, lower-cased headers and an injected clock."""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from autotriage.config import Settings, load_settings
from autotriage.errors import SignatureInvalid
from autotriage.sources.aws import sns
from autotriage.sources.base import Verifying
from autotriage.sources.registry import REGISTRY, detect, web_routes
from autotriage.web.app import create_app
from tests.support import fixture_bytes, fixture_path

SNS = fixture_path("aws", "sns", "notification_cloudwatch_alarm.body.json")


def test_sns_is_registered_and_detected() -> None:
    spec = detect(SNS.read_bytes())
    assert spec is REGISTRY["sns"]
    [event] = spec.parse(SNS.read_bytes(), {})
    assert event.source == "sns"
    assert event.exceptions[0].type == "CloudWatchAlarm"


def test_replay_auto_detects_an_sns_delivery(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "autotriage", "replay", "--source", "auto", "--json", str(SNS)],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    [line] = [json.loads(text) for text in result.stdout.splitlines()]
    assert line["source"] == "sns"
    assert line["title"].startswith("CloudWatchAlarm: orders-api-5xx-high")


def test_a_subscription_confirmation_replays_as_ignored(tmp_path: Path) -> None:
    body = fixture_path("aws", "sns", "subscription_confirmation.body.json")
    result = subprocess.run(
        [sys.executable, "-m", "autotriage", "replay", str(body)],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert "SubscriptionConfirmation carries no error" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_app_serves_exactly_the_registered_routes_first(
    make_settings: Callable[..., Settings],
) -> None:
    paths = [getattr(route, "path", "") for route in web_routes()]
    assert paths[:4] == [
        "/api/{project_id:int}/envelope/",
        "/api/{project_id:int}/store/",
        "/v1/logs",
        "/v1/traces",
    ]
    for path in (
        "/webhook/sentry",
        "/webhook/firehose",
        "/webhook/sns",
        "/webhook/slack",
        "/webhook/generic",
    ):
        assert paths.count(path) == 1, path
    app_paths = [getattr(route, "path", "") for route in create_app(make_settings()).routes]
    # After FastAPI's own documentation routes, the sources' come first, in this order.
    start = app_paths.index(paths[0])
    assert app_paths[start : start + len(paths)] == paths


def _verifying(now: float = 1_700_000_000.0) -> Verifying:
    settings = load_settings(
        env_file=None,
        WEBHOOK_SECRET="s3cret",
        SLACK_SIGNING_SECRET="slack-secret",
        SENTRY_CLIENT_SECRET="sentry-secret",
        FIREHOSE_ACCESS_KEY="fh-key",
        SNS_TOPIC_ARNS="arn:aws:sns:us-east-1:123456789012:other",
    )
    return Verifying(settings.ingest, settings.sentry, settings.slack, settings.aws, now)


def _hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def test_verifiers_accept_signed_bodies_and_refuse_tampered_ones() -> None:
    body, now = b'{"message": "boom"}', 1_700_000_000
    signed = {
        "sentry": {
            "sentry-hook-signature": _hex("sentry-secret", body),
            "sentry-hook-resource": "error",
            "sentry-hook-timestamp": str(now),
        },
        "slack": {
            "x-slack-request-timestamp": str(now),
            "x-slack-signature": "v0=" + _hex("slack-secret", f"v0:{now}:".encode() + body),
        },
        "generic": {
            "x-autotriage-timestamp": str(now),
            "x-autotriage-signature": "sha256=" + _hex("s3cret", f"{now}.".encode() + body),
        },
        "firehose": {"x-amz-firehose-access-key": "fh-key"},
    }
    for name, headers in signed.items():
        verify = REGISTRY[name].verify
        assert verify is not None, name
        verify(body, headers, _verifying(now))
        if name != "firehose":  # the access key does not cover the body
            with pytest.raises(SignatureInvalid):
                verify(body + b" ", headers, _verifying(now))
    with pytest.raises(SignatureInvalid, match="5 minutes"):
        REGISTRY["slack"].verify(body, signed["slack"], _verifying(now + 3600))  # type: ignore[misc]
    with pytest.raises(SignatureInvalid, match="outside the allowed window"):
        REGISTRY["sentry"].verify(body, signed["sentry"], _verifying(now + 3600))  # type: ignore[misc]


def test_sns_verifier_checks_the_topic_before_any_certificate() -> None:
    body = fixture_bytes("aws", "sns", "notification_cloudwatch_alarm.body.json")
    verify = REGISTRY["sns"].verify
    assert verify is not None
    with pytest.raises(sns.TopicNotAllowed, match="not in SNS_TOPIC_ARNS"):
        verify(body, {}, _verifying())


def test_pollers_are_offered_by_the_scanned_sources() -> None:
    assert {name for name, spec in REGISTRY.items() if spec.poll is not None} == {
        "sentry",
        "cloudwatch",
    }
