"""Sentry: events in Sentry's protocol, Integration Platform webhooks, the legacy plugin.

Docs: https://develop.sentry.dev/sdk/data-model/event-payloads/ (event fields),
https://docs.sentry.io/organization/integrations/integration-platform/webhooks/
(resources ``issue``, ``event_alert``, ``error``, ``metric_alert``, ``installation``,
``comment``; ``Sentry-Hook-Signature``) and the legacy "WebHooks" plugin
(https://docs.sentry.io/product/integrations/notification-incidents/webhooks/).

Field mapping of one Sentry event: ``event_id`` -> source_event_id, ``timestamp`` (or
``datetime``) -> occurred_at, ``level``/``environment``/``release``/``platform``/
``culprit`` as named, ``server_name`` -> service, ``message``/``logentry``/``title`` ->
message, ``tags`` (a list of pairs or a dict) -> tags, ``exception.values[]`` ->
exceptions (already cause-first, frames already oldest-first, every frame field our
model has), ``fingerprint`` -> fingerprint_hint, ``user``/``request``/``sdk``/
``contexts`` -> contexts (plus ``request.url`` as the ``url`` tag), ``web_url`` (or the
plugin's ``url``, or an issue's ``permalink``) -> link. Everything else (breadcrumbs,
modules, threads, an exception's ``mechanism``, frame ``vars`` and addresses) -> raw,
which thus never holds the frames a second time. The Sentry issue id, short id
and project go to ``contexts["sentry"]``, which is how status signals
(``issue.resolved``/``ignored``/``unresolved``) find the group later.

Issue payloads carry no stack trace: `event_from_issue` keeps the type, value, file and
function Sentry's ``metadata`` names; the web route fetches the latest event through
the API (`sentry_api`) when a token is configured.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from autotriage.errors import Ignored, PayloadInvalid, SignatureInvalid
from autotriage.models import ErrorEvent, ExceptionInfo, Frame, normalize_level
from autotriage.sources.base import load_json, require_object

NAME = "sentry"
_FRAME_FIELDS = ("filename", "abs_path", "module", "function", "lineno", "colno", "context_line")
_CONTEXT_FIELDS = ("user", "request", "sdk", "contexts", "extra")
# What `event_from_sentry` carries into the model; `raw` keeps the rest of the event.
_MODELED_EVENT = frozenset(
    {
        "event_id", "timestamp", "datetime", "level", "platform", "environment", "release",
        "server_name", "message", "logentry", "title", "culprit", "transaction", "tags",
        "fingerprint", "web_url", "exception", "stacktrace", *_CONTEXT_FIELDS,
    }
)  # fmt: skip
_FRAME_KEYS = (*_FRAME_FIELDS, "in_app")
_MODELED_EXCEPTION = frozenset({"type", "value", "module", "stacktrace", "raw_stacktrace"})
_MODELED_FRAME = frozenset(
    {*_FRAME_FIELDS, "raw_function", "in_app", "pre_context", "post_context"}
)
_ISSUE_URL = re.compile(r"/issues/(\d+)/?")
RESOURCES = frozenset(
    {"issue", "event_alert", "error", "metric_alert", "installation", "comment", "seer"}
)
STATUS_ACTIONS = {
    "resolved": "resolved",
    "ignored": "ignored",
    "archived": "ignored",
    "unresolved": "open",
}


def _str(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)


def _timestamp(value: Any) -> datetime | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def _int(value: Any) -> int | None:
    return value if type(value) is int else None


def _texts(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [x if type(x) is str else str(x) for x in value if x is not None]


_FRAMES: dict[tuple[Any, ...], Frame] = {}
_FRAMES_KEPT = 8_192


def _frame(raw: Any) -> Frame:
    """One frame. The same code path sends the same frames event after event, and a
    frozen `Frame` can be shared, so each distinct frame is validated once."""
    if not isinstance(raw, dict):
        return Frame()
    get = raw.get
    pre, post = _texts(get("pre_context")), _texts(get("post_context"))
    fields = (
        _str(get("filename")),
        _str(get("abs_path")),
        _str(get("module")),
        _str(get("function")) or _str(get("raw_function")),
        _int(get("lineno")),
        _int(get("colno")),
        _str(get("context_line")),
        get("in_app") is True,
    )
    key = (*fields, *pre, None, *post)  # None parts the two lists, which hold only str
    frame = _FRAMES.get(key)
    if frame is None:
        values = dict(zip(_FRAME_KEYS, fields, strict=True))
        frame = Frame.model_validate({**values, "pre_context": pre, "post_context": post})
        if len(_FRAMES) >= _FRAMES_KEPT:
            _FRAMES.clear()
        _FRAMES[key] = frame
    return frame


def _frames(stack: Any) -> list[Frame]:
    frames = stack.get("frames") if isinstance(stack, dict) else None
    return [_frame(f) for f in frames] if isinstance(frames, list) else []


def _exceptions(event: dict[str, Any]) -> list[dict[str, Any]]:
    """`ExceptionInfo` fields of the event's exceptions, cause first."""
    container = event.get("exception")
    values = container.get("values") if isinstance(container, dict) else container
    out = []
    for raw in values if isinstance(values, list) else []:
        if not isinstance(raw, dict):
            continue
        out.append(
            {
                "type": str(raw.get("type") or "Error"),
                "value": str(raw.get("value") or ""),
                "module": _str(raw.get("module")),
                "frames": _frames(raw.get("stacktrace") or raw.get("raw_stacktrace")),
            }
        )
    if not out and isinstance(event.get("stacktrace"), dict):
        # A message captured with attach_stacktrace: keep where it was logged.
        frames = _frames(event["stacktrace"])
        if frames:
            message = _message(event) or "Message"
            out.append({"type": "Message", "value": message, "frames": frames})
    return out


def _unmodeled(event: dict[str, Any]) -> dict[str, Any]:
    """The parts of `event` the model does not carry (breadcrumbs, modules, a mechanism,
    frame variables...), kept as the event's ``raw`` without storing its frames twice."""
    rest = {k: v for k, v in event.items() if k not in _MODELED_EVENT}
    container = event.get("exception")
    values = container.get("values") if isinstance(container, dict) else container
    extras = []
    for index, value in enumerate(values if isinstance(values, list) else []):
        if not isinstance(value, dict):
            continue
        extra = {k: v for k, v in value.items() if k not in _MODELED_EXCEPTION}
        stack = value.get("stacktrace") or value.get("raw_stacktrace")
        frames = stack.get("frames") if isinstance(stack, dict) else None
        frame_extras = [
            {"frame": number, **{k: v for k, v in frame.items() if k not in _MODELED_FRAME}}
            for number, frame in enumerate(frames if isinstance(frames, list) else [])
            if isinstance(frame, dict) and not frame.keys() <= _MODELED_FRAME
        ]
        if frame_extras:
            extra["frames"] = frame_extras
        if extra:
            extras.append({"exception": index, **extra})
    if extras:
        rest["exception_extras"] = extras
    return rest


def _tags(raw: Any) -> dict[str, str]:
    if isinstance(raw, dict):
        return {str(k): str(v) for k, v in raw.items() if v is not None}
    tags = {}
    for pair in raw if isinstance(raw, list) else []:
        if isinstance(pair, list | tuple) and len(pair) == 2 and pair[1] is not None:
            tags[str(pair[0])] = str(pair[1])
        elif isinstance(pair, dict) and "key" in pair:
            tags[str(pair["key"])] = str(pair.get("value"))
    return tags


def _message(event: dict[str, Any]) -> str | None:
    message = event.get("message")
    if isinstance(message, dict):
        message = message.get("formatted") or message.get("message")
    logentry = event.get("logentry")
    if not message and isinstance(logentry, dict):
        message = logentry.get("formatted") or logentry.get("message")
    return _str(message)


def issue_id_of(event: Mapping[str, Any]) -> str | None:
    """The Sentry issue id an event names (``issue_id`` or its ``issue_url``/``web_url``)."""
    if event.get("issue_id") is not None:
        return str(event["issue_id"])
    for key in ("issue_url", "web_url", "url"):
        value = event.get(key)
        if isinstance(value, str) and (match := _ISSUE_URL.search(value)):
            return match.group(1)
    return None


def event_from_sentry(
    event: dict[str, Any], *, link: str | None = None, sentry_info: dict[str, Any] | None = None
) -> ErrorEvent:
    """Map one event in Sentry's protocol onto an `ErrorEvent`."""
    exceptions = _exceptions(event)
    message = _message(event)
    if not message and exceptions:
        message = exceptions[-1]["value"]
    fingerprint = event.get("fingerprint")
    contexts = {k: event[k] for k in _CONTEXT_FIELDS if isinstance(event.get(k), dict) and event[k]}
    info = {k: v for k, v in (sentry_info or {}).items() if v is not None}
    if issue := issue_id_of(event):
        info.setdefault("issue_id", issue)
    if info:
        contexts["sentry"] = info
    tags = _tags(event.get("tags"))
    request = event.get("request")
    if isinstance(request, dict) and isinstance(request.get("url"), str):
        tags.setdefault("url", request["url"])
    web_url = event.get("web_url")
    return ErrorEvent.model_validate(
        {
            "source": NAME,
            "source_event_id": _str(event.get("event_id")),
            "occurred_at": _timestamp(event.get("timestamp")) or _timestamp(event.get("datetime")),
            "level": normalize_level(event.get("level")),
            "platform": _str(event.get("platform")),
            "environment": _str(event.get("environment")) or tags.get("environment"),
            "release": (
                _str(event.get("release")) or tags.get("sentry:release") or tags.get("release")
            ),
            "service": _str(event.get("server_name")) or tags.get("server_name"),
            "message": message or _str(event.get("title")) or "",
            "culprit": _str(event.get("culprit")) or _str(event.get("transaction")),
            "tags": tags,
            "link": link or (web_url if isinstance(web_url, str) else None),
            "exceptions": exceptions,
            "fingerprint_hint": (
                [str(x) for x in fingerprint] if isinstance(fingerprint, list) else None
            ),
            "contexts": contexts,
            "raw": _unmodeled(event),
        }
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


# --- webhooks ------------------------------------------------------------------------


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
