"""Sentry webhooks against the fixtures: signature, resources, legacy plugin, field mapping."""

from __future__ import annotations

import json

import pytest

from autotriage.errors import Ignored, PayloadInvalid, SignatureInvalid
from autotriage.sources.sentry import webhooks as sentry
from tests.support import fixture_bytes

VECTOR = json.loads(fixture_bytes("sentry", "signature_test_vector.json"))


def _lower(headers: dict[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def test_signature_vector_verifies_on_the_raw_body() -> None:
    headers = _lower(VECTOR["request_headers"])
    sentry.verify(VECTOR["raw_body"].encode(), headers, VECTOR["client_secret"])


def test_reserialised_body_fails_the_signature() -> None:
    pretty = json.dumps(json.loads(VECTOR["raw_body"]), indent=2).encode()
    with pytest.raises(SignatureInvalid, match="does not match"):
        sentry.verify(pretty, _lower(VECTOR["request_headers"]), VECTOR["client_secret"])


@pytest.mark.parametrize(
    ("headers", "secret", "reason"),
    [
        ({}, "s", "header is missing"),
        ({"sentry-hook-signature": VECTOR["expected_signature"]}, None, "not configured"),
        ({"sentry-hook-signature": VECTOR["expected_signature"]}, "wrong", "does not match"),
    ],
)
def test_bad_signatures(headers: dict[str, str], secret: str | None, reason: str) -> None:
    with pytest.raises(SignatureInvalid, match=reason):
        sentry.verify(VECTOR["raw_body"].encode(), headers, secret)


@pytest.mark.parametrize(
    ("name", "issue_id", "exc_type", "culprit", "project"),
    [
        ("a_issue_created_webhook.json", "1170820242", "ReferenceError", "?(runner)", "front-end"),
        (
            "a2_issue_created_webhook_real_zulip.json",
            "1635244907",
            "Exception",
            "__main__ in <module>",
            "zulip-integration-testing",
        ),
    ],
)
def test_issue_created_maps_the_issue(
    name: str, issue_id: str, exc_type: str, culprit: str, project: str
) -> None:
    hook = sentry.parse_hook(json.loads(fixture_bytes("sentry", name)), "issue")
    assert hook.issue_id == issue_id
    (event,) = hook.events
    assert event.source_event_id == f"issue-{issue_id}"
    assert event.primary_exception is not None
    assert event.primary_exception.type == exc_type
    assert event.culprit == culprit
    assert event.contexts["sentry"]["issue_id"] == issue_id
    assert event.contexts["sentry"]["project"] == project
    assert event.tags["sentry.project"] == project
    assert event.primary_exception.frames[0].filename  # metadata's file is kept


def test_event_alert_maps_every_field() -> None:
    payload = json.loads(fixture_bytes("sentry", "b_event_alert_triggered_webhook.json"))
    hook = sentry.parse_hook(payload, "event_alert")
    (event,) = hook.events
    assert event.source_event_id == "e4874d664c3540c1a32eab185f12c5ab"
    assert event.title == "ReferenceError: heck is not defined"
    assert event.link == (
        "https://sentry.io/organizations/test-org/issues/1117540176/events/"
        "e4874d664c3540c1a32eab185f12c5ab/"
    )
    rule = "Very Important Alert Rule!"
    assert event.contexts["sentry"] == {"issue_id": "1117540176", "rule": rule}
    assert event.tags["browser"] == "Chrome 75.0.3770"
    assert event.tags["url"].startswith("http")
    assert event.contexts["user"] == {"ip_address": "162.218.85.90"}
    assert "sdk" in event.contexts
    assert event.contexts["contexts"]["browser"]["name"] == "Chrome"
    assert event.fingerprint_hint == ["{{ default }}"]
    assert event.occurred_at is not None
    assert event.occurred_at.year == 2019
    frames = event.primary_exception.frames if event.primary_exception else []
    assert len(frames) == 3
    assert frames[0].abs_path == "https://static.jsbin.com/js/prod/runner-4.1.7.min.js"
    assert frames[0].colno == 10866
    assert (frames[0].context_line or "").startswith("{snip}")
    assert frames[-1].filename == "<anonymous>"


def test_real_event_alert_from_the_browser_sdk() -> None:
    payload = json.loads(fixture_bytes("sentry", "b3_event_alert_triggered_js_real_zulip.json"))
    (event,) = sentry.parse_hook(payload, "event_alert").events
    assert event.title == "Error: Something external broke."
    assert event.contexts["sentry"]["issue_id"] == "1731239773"  # from issue_url
    assert event.tags["handled"] == "yes"
    frames = event.primary_exception.frames if event.primary_exception else []
    assert frames[0].lineno == 4
    assert frames[0].in_app is False  # null in_app is not in-app


def test_legacy_plugin_payload() -> None:
    (event,) = sentry.parse(fixture_bytes("sentry", "c_legacy_webhooks_plugin_real_zulip.json"), {})
    assert event.source_event_id == "c916dccfd58e41dcabaebef0091f0736"
    assert event.title == "ValueError: new sentry error."
    assert (event.link or "").startswith("https://sentry.io/organizations/bar-foundation/")
    assert event.contexts["sentry"]["issue_id"] == "1972208801"
    assert event.contexts["sentry"]["project"] == "foo-live"
    assert event.service == "enterprise"
    assert event.tags["runtime"] == "CPython 3.8.5"
    assert event.contexts["sdk"]["name"] == "sentry.python"
    frame = event.primary_exception.frames[-1] if event.primary_exception else None
    assert frame is not None
    assert frame.function == "<module>"
    assert frame.lineno == 10
    assert frame.pre_context[-1] == "    try:"
    assert (frame.abs_path or "").endswith("data/trigger-exception.py")


def test_plain_events_from_sdks() -> None:
    (py,) = sentry.parse(fixture_bytes("sentry", "e_python_event_exception.json"), {})
    assert py.title == "Exception: This is an example Python exception"
    assert py.environment == "production"
    frames = py.primary_exception.frames if py.primary_exception else []
    assert [f.function for f in frames] == ["<module>", "main"]
    assert all(f.in_app for f in frames)
    (js,) = sentry.parse(fixture_bytes("sentry", "f_javascript_event_stacktrace.json"), {})
    assert js.release == "test"
    assert js.environment == "dev"
    assert js.tags["url"] == "http://localhost:4201/"


@pytest.mark.parametrize(
    ("action", "status"),
    [
        ("resolved", "resolved"),
        ("ignored", "ignored"),
        ("archived", "ignored"),
        ("unresolved", "open"),
    ],
)
def test_issue_status_signals(action: str, status: str) -> None:
    payload = json.loads(fixture_bytes("sentry", "a_issue_created_webhook.json"))
    payload["action"] = action
    hook = sentry.parse_hook(payload, "issue")
    assert hook.events == []
    assert hook.status == sentry.StatusChange("1170820242", status)


@pytest.mark.parametrize(
    ("resource", "action"),
    [
        ("issue", "assigned"),
        ("metric_alert", "critical"),
        ("installation", "created"),
        ("comment", "created"),
        ("event_alert", "something_new"),
        ("brand_new", "created"),
    ],
)
def test_unhandled_resources_are_ignored(resource: str, action: str) -> None:
    payload = {"action": action, "data": {"issue": {"id": "1"}}}
    with pytest.raises(Ignored):
        sentry.parse_hook(payload, resource)


def test_error_created_is_an_event() -> None:
    event = json.loads(fixture_bytes("sentry", "e_python_event_exception.json"))
    event.update(event_id="ab" * 16, issue_id=77, web_url="https://sentry.example/issues/77/")
    hook = sentry.parse_hook({"action": "created", "data": {"error": event}}, "error")
    assert hook.events[0].contexts["sentry"]["issue_id"] == "77"
    assert hook.events[0].link == "https://sentry.example/issues/77/"


def test_missing_data_names_the_field() -> None:
    with pytest.raises(PayloadInvalid, match=r"data\.event"):
        sentry.parse_hook({"action": "triggered", "data": {}}, "event_alert")
