"""Sentry webhooks: Integration Platform deliveries and the legacy WebHooks plugin.

Docs: https://docs.sentry.io/organization/integrations/integration-platform/webhooks/
(resources ``issue``, ``event_alert``, ``error``, ``metric_alert``, ``installation``,
``comment``; ``Sentry-Hook-Signature``) and the legacy "WebHooks" plugin
(https://docs.sentry.io/product/integrations/notification-incidents/webhooks/).

``issue.created`` becomes an event through `event.event_from_issue` (no stack trace: the
web route fetches the latest event through `api` when a token is configured);
``event_alert.triggered`` and ``error.created`` carry a full event (`event.event_from_sentry`);
``issue.resolved``/``ignored``/``archived``/``unresolved`` become a `StatusChange`. The
plugin's payload holds the event under ``event``, with ``url`` -> link and ``id`` -> the
issue id.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from autotriage.errors import Ignored, PayloadInvalid, SignatureInvalid
from autotriage.models import ErrorEvent, ExceptionInfo, Frame, normalize_level
from autotriage.sources.base import load_json, require_object
from autotriage.sources.sentry.event import (
    NAME,
    _str,
    _timestamp,
    event_from_sentry,
    issue_id_of,
)

__all__ = ["NAME", "Hook", "StatusChange", "parse", "parse_hook", "parse_plugin", "sniff", "verify"]

RESOURCES = frozenset(
    {"issue", "event_alert", "error", "metric_alert", "installation", "comment", "seer"}
)
STATUS_ACTIONS = {
    "resolved": "resolved",
    "ignored": "ignored",
    "archived": "ignored",
    "unresolved": "open",
}


def verify(body: bytes, headers: Mapping[str, str], client_secret: str | None) -> None:
    """Check ``Sentry-Hook-Signature``: hex HMAC-SHA256 of the exact raw body."""
    given = headers.get("sentry-hook-signature", "").strip()
    if not given:
        raise SignatureInvalid("Sentry-Hook-Signature header is missing")
    if not client_secret:
        raise SignatureInvalid("SENTRY_CLIENT_SECRET is not configured, so signed hooks fail")
    expected = hmac.new(client_secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(given.lower().encode(), expected.encode()):
        raise SignatureInvalid("Sentry-Hook-Signature does not match the body")


def check_fresh(headers: Mapping[str, str], now: float, max_skew: float) -> None:
    """Refuse a signed delivery whose ``Sentry-Hook-Timestamp`` is missing or stale.

    The signature covers the body only, so a captured ``issue.resolved`` could be replayed
    at any time; the timestamp bounds that to the skew window (status hooks also dedupe on
    ``Request-ID`` within it).
    """
    stamp = headers.get("sentry-hook-timestamp", "").strip()
    try:
        sent = float(stamp)
    except ValueError:
        raise SignatureInvalid("Sentry-Hook-Timestamp is missing or not a number") from None
    if not abs(now - sent) <= max_skew:
        raise SignatureInvalid("Sentry-Hook-Timestamp is outside the allowed window")


@dataclass(frozen=True, slots=True)
class StatusChange:
    """A Sentry issue changed status; `status` is ours (open, resolved, ignored).

    A resolve may say where the fix is: ``statusDetails.inRelease`` (a release name;
    ``latest`` means the release then current, left None) and ``inCommit.commit``.
    """

    issue_id: str
    status: str
    release: str | None = None
    commit: str | None = None


def _status_change(issue_id: str, status: str, issue: dict[str, Any]) -> StatusChange:
    details = issue.get("statusDetails")
    details = details if isinstance(details, dict) else {}
    release = _str(details.get("inRelease"))
    in_commit = details.get("inCommit")
    commit = _str(in_commit.get("commit")) if isinstance(in_commit, dict) else None
    return StatusChange(issue_id, status, None if release == "latest" else release, commit)


@dataclass(slots=True)
class Hook:
    """What one webhook delivery means."""

    resource: str
    action: str
    events: list[ErrorEvent] = field(default_factory=list)
    status: StatusChange | None = None
    issue_id: str | None = None
    """For ``issue.created``: the issue whose latest event is worth fetching."""


def _data(payload: dict[str, Any], name: str) -> dict[str, Any]:
    data = payload.get("data")
    value = data.get(name) if isinstance(data, dict) else None
    if not isinstance(value, dict):
        raise PayloadInvalid(f"data.{name} is missing or not an object")
    return value


def parse_hook(payload: dict[str, Any], resource: str) -> Hook:
    """Interpret an Integration Platform delivery; raises `Ignored` for what we don't act on."""
    action = str(payload.get("action") or "")
    if resource not in RESOURCES:
        raise Ignored(f"unknown Sentry resource {resource!r}")
    if resource == "issue":
        issue = _data(payload, "issue")
        if action == "created":
            event = event_from_issue(issue)
            return Hook(resource, action, [event], issue_id=event.contexts["sentry"]["issue_id"])
        if action in STATUS_ACTIONS:
            issue_id = _str(issue.get("id"))
            if issue_id is None:
                raise PayloadInvalid("data.issue.id is missing")
            change = _status_change(issue_id, STATUS_ACTIONS[action], issue)
            return Hook(resource, action, status=change)
        raise Ignored(f"issue.{action} needs nothing from autotriage")
    if resource == "event_alert" and action == "triggered":
        data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
        rule = data.get("triggered_rule") if isinstance(data, dict) else None
        event = event_from_sentry(_data(payload, "event"), sentry_info={"rule": _str(rule)})
        return Hook(resource, action, [event])
    if resource == "error" and action == "created":
        return Hook(resource, action, [event_from_sentry(_data(payload, "error"))])
    raise Ignored(f"{resource}.{action} is not an error autotriage tracks")


def parse_plugin(payload: dict[str, Any]) -> ErrorEvent:
    """The legacy WebHooks plugin's payload: the full event under ``event``."""
    event = dict(payload["event"])
    event.setdefault("event_id", payload.get("id"))
    event.setdefault("culprit", payload.get("culprit"))
    event.setdefault("level", payload.get("level"))
    url = payload.get("url") if isinstance(payload.get("url"), str) else None
    issue = _str(payload.get("id")) or (issue_id_of({"url": url}) if url else None)
    info = {
        "issue_id": issue,
        "project": _str(payload.get("project_slug") or payload.get("project")),
        "rules": payload.get("triggering_rules"),
    }
    return event_from_sentry(event, link=url, sentry_info=info)


def parse(body: bytes, headers: Mapping[str, str]) -> list[ErrorEvent]:
    """A Sentry event, a legacy plugin payload or an Integration Platform delivery."""
    payload = require_object(load_json(body))
    resource = headers.get("sentry-hook-resource")
    if resource or ("action" in payload and isinstance(payload.get("data"), dict)):
        if not resource:
            data = payload["data"]
            resource = next((r for r in ("issue", "event", "error") if r in data), "unknown")
            resource = "event_alert" if resource == "event" else resource
        return parse_hook(payload, resource).events
    if isinstance(payload.get("event"), dict):
        return [parse_plugin(payload)]
    if "exception" in payload or "message" in payload or "event_id" in payload:
        return [event_from_sentry(payload)]
    raise PayloadInvalid("not a Sentry event: expected `event`, `exception` or `message`")


def sniff(body: bytes) -> bool:
    """True for JSON that looks like a Sentry event or plugin payload."""
    head = body[:4096]
    return head.lstrip().startswith(b"{") and (
        b'"exception"' in body or b'"event_id"' in head or b'"culprit"' in head
    )


def event_from_issue(issue: dict[str, Any]) -> ErrorEvent:
    """An `ErrorEvent` from an issue resource (no frames: Sentry sends none)."""
    meta: dict[str, Any] = issue["metadata"] if isinstance(issue.get("metadata"), dict) else {}
    issue_id = _str(issue.get("id"))
    if issue_id is None:
        raise PayloadInvalid("data.issue.id is missing")
    exceptions = []
    if meta.get("type"):
        frames = []
        if meta.get("filename") or meta.get("function"):
            frames.append(
                Frame(
                    filename=_str(meta.get("filename")),
                    function=_str(meta.get("function")),
                    in_app=True,
                )
            )
        exceptions.append(
            ExceptionInfo(type=str(meta["type"]), value=str(meta.get("value") or ""), frames=frames)
        )
    project: dict[str, Any] = issue["project"] if isinstance(issue.get("project"), dict) else {}
    return ErrorEvent(
        source=NAME,
        source_event_id=f"issue-{issue_id}",
        occurred_at=_timestamp(issue.get("lastSeen")) or _timestamp(issue.get("firstSeen")),
        level=normalize_level(issue.get("level")),
        platform=_str(issue.get("platform")),
        message=_str(meta.get("value")) or _str(issue.get("title")) or "",
        culprit=_str(issue.get("culprit")),
        tags={"sentry.project": str(project["slug"])} if project.get("slug") else {},
        link=_str(issue.get("permalink")),
        exceptions=exceptions,
        contexts={
            "sentry": {
                k: v
                for k, v in {
                    "issue_id": issue_id,
                    "short_id": _str(issue.get("shortId")),
                    "project": _str(project.get("slug")),
                    "status": _str(issue.get("status")),
                    "count": _str(issue.get("count")),
                    "title": _str(issue.get("title")),
                }.items()
                if v is not None
            }
        },
        raw=issue,
    )
