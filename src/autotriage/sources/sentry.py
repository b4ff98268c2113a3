"""Sentry: events in Sentry's own protocol, and the legacy "WebHooks" plugin.

Docs: https://develop.sentry.dev/sdk/data-model/event-payloads/ (event fields) and
https://docs.sentry.io/organization/integrations/integration-platform/webhooks/.

Field mapping: ``event_id`` -> source_event_id, ``timestamp`` -> occurred_at,
``level``/``environment``/``release``/``platform``/``culprit`` as named, ``tags`` (a list
of pairs or a dict) -> tags, ``exception.values[]`` -> exceptions (already cause-first,
frames already oldest-first), ``fingerprint`` -> fingerprint_hint, ``user``/``request``/
``sdk`` -> contexts, the plugin's ``url`` -> link.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from autotriage.errors import PayloadInvalid
from autotriage.models import ErrorEvent, ExceptionInfo, Frame, normalize_level
from autotriage.sources.base import load_json, require_object

NAME = "sentry"
_FRAME_FIELDS = ("filename", "abs_path", "module", "function", "lineno", "colno", "context_line")


def _timestamp(value: Any) -> datetime | None:
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def _frame(raw: Any) -> Frame:
    if not isinstance(raw, dict):
        return Frame()
    values: dict[str, Any] = {}
    for key in _FRAME_FIELDS:
        value = raw.get(key)
        if key in ("lineno", "colno"):
            values[key] = value if isinstance(value, int) and not isinstance(value, bool) else None
        else:
            values[key] = str(value) if value is not None else None
    return Frame(
        **values,
        in_app=raw.get("in_app") is True,
        pre_context=[str(x) for x in raw.get("pre_context") or [] if x is not None],
        post_context=[str(x) for x in raw.get("post_context") or [] if x is not None],
    )


def _exceptions(event: dict[str, Any]) -> list[ExceptionInfo]:
    container = event.get("exception")
    values = container.get("values") if isinstance(container, dict) else container
    out = []
    for raw in values if isinstance(values, list) else []:
        if not isinstance(raw, dict):
            continue
        stack = raw.get("stacktrace") or {}
        frames = stack.get("frames") if isinstance(stack, dict) else None
        out.append(
            ExceptionInfo(
                type=str(raw.get("type") or "Error"),
                value=str(raw.get("value") or ""),
                module=raw.get("module") if isinstance(raw.get("module"), str) else None,
                frames=[_frame(f) for f in frames] if isinstance(frames, list) else [],
            )
        )
    return out


def _tags(raw: Any) -> dict[str, str]:
    if isinstance(raw, dict):
        return {str(k): str(v) for k, v in raw.items()}
    tags = {}
    for pair in raw if isinstance(raw, list) else []:
        if isinstance(pair, list | tuple) and len(pair) == 2:
            tags[str(pair[0])] = str(pair[1])
        elif isinstance(pair, dict) and "key" in pair:
            tags[str(pair["key"])] = str(pair.get("value"))
    return tags


def event_from_sentry(event: dict[str, Any], *, link: str | None = None) -> ErrorEvent:
    """Map one event in Sentry's protocol onto an `ErrorEvent`."""
    logentry = event.get("logentry") or {}
    message = event.get("message")
    if isinstance(message, dict):
        message = message.get("formatted") or message.get("message")
    if not message and isinstance(logentry, dict):
        message = logentry.get("formatted") or logentry.get("message")
    exceptions = _exceptions(event)
    if not message and exceptions:
        message = exceptions[-1].value
    fingerprint = event.get("fingerprint")
    contexts = {k: event[k] for k in ("user", "request", "sdk") if isinstance(event.get(k), dict)}
    return ErrorEvent(
        source=NAME,
        source_event_id=str(event["event_id"]) if event.get("event_id") else None,
        occurred_at=_timestamp(event.get("timestamp")),
        level=normalize_level(event.get("level")),
        platform=event.get("platform") if isinstance(event.get("platform"), str) else None,
        environment=str(event["environment"]) if event.get("environment") else None,
        release=str(event["release"]) if event.get("release") else None,
        service=str(event["server_name"]) if event.get("server_name") else None,
        message=str(message or event.get("title") or ""),
        culprit=str(event["culprit"]) if event.get("culprit") else None,
        tags=_tags(event.get("tags")),
        link=link,
        exceptions=exceptions,
        fingerprint_hint=[str(x) for x in fingerprint] if isinstance(fingerprint, list) else None,
        contexts=contexts,
        raw=event,
    )


def parse(body: bytes, headers: Mapping[str, str]) -> list[ErrorEvent]:
    """A Sentry event, or the legacy WebHooks plugin's payload (the event under ``event``)."""
    del headers
    payload = require_object(load_json(body))
    if isinstance(payload.get("event"), dict):
        event = dict(payload["event"])
        event.setdefault("event_id", payload.get("id"))
        link = payload.get("url") if isinstance(payload.get("url"), str) else None
        return [event_from_sentry(event, link=link)]
    if "exception" in payload or "message" in payload or "event_id" in payload:
        return [event_from_sentry(payload)]
    raise PayloadInvalid("not a Sentry event: expected `event`, `exception` or `message`")


def sniff(body: bytes) -> bool:
    """True for JSON that looks like a Sentry event or plugin payload."""
    head = body[:4096]
    return head.lstrip().startswith(b"{") and (
        b'"exception"' in body or b'"event_id"' in head or b'"culprit"' in head
    )
