"""One event in Sentry's protocol onto an `ErrorEvent` (`event_from_sentry`), pure.

Docs: https://develop.sentry.dev/sdk/data-model/event-payloads/ (event fields). The
events come in envelopes and the legacy store body (`autotriage.sources.sentry.envelope`),
in webhook deliveries (`webhooks`) and from the API (`api`).

Field mapping of one Sentry event: ``event_id`` -> source_event_id, ``timestamp`` (or
``datetime``) -> occurred_at, ``level``/``environment``/``release``/``platform``/
``culprit`` as named, ``server_name`` -> service, ``message``/``logentry``/``title`` ->
message, ``tags`` (a list of pairs or a dict) -> tags, ``exception.values[]`` -> exceptions
(already cause-first, frames already oldest-first, every frame field our model has; a
chained exception's ``mechanism.source`` -> its ``link``), ``fingerprint`` ->
fingerprint_hint, ``user``/``request``/``sdk``/``contexts`` -> contexts (plus
``request.url`` as the ``url`` tag), ``web_url`` (or the plugin's ``url``) -> link.
Everything else (breadcrumbs, modules, threads, an exception's ``mechanism``, frame
``vars``, ``package``, the native image and symbol fields) -> raw (a frame's
``raw_function``, ``instruction_addr`` and ``addr_mode`` are frame fields), which thus
never holds the frames a second time. The Sentry issue id goes to ``contexts["sentry"]``,
which is how status signals (``issue.resolved``/``ignored``/``unresolved``) find the
group later. Issue resources map through `webhooks.event_from_issue`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

from autotriage.models import ErrorEvent, Frame, normalize_level

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
_ADDRESS_FIELDS = ("raw_function", "instruction_addr", "addr_mode")
_FRAME_KEYS = (*_FRAME_FIELDS, "in_app", *_ADDRESS_FIELDS)
_MODELED_EXCEPTION = frozenset({"type", "value", "module", "stacktrace", "raw_stacktrace"})
_MODELED_FRAME = frozenset(
    {*_FRAME_FIELDS, *_ADDRESS_FIELDS, "in_app", "pre_context", "post_context"}
)
_ISSUE_URL = re.compile(r"/issues/(\d+)/?")


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


def _texts(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [x if type(x) is str else str(x) for x in value if x is not None]


_FRAMES: dict[bytes, Frame] = {}
_FRAME_TEXTS = (
    "filename", "abs_path", "module", "function", "context_line", *_ADDRESS_FIELDS
)  # fmt: skip
_FRAMES_KEPT = 8_192
_FRAME_KEPT_BYTES = 4_096
"""Frames whose JSON is longer are validated every time, never kept (so at most 32 MB kept)."""
_UNKEYED = frozenset({"vars"})
"""Frame keys blanked in the cache key: a frame's local variables change event after
event while its modeled fields do not (they go to ``raw``, not to `Frame`)."""
_BLANKED = dict.fromkeys(_UNKEYED)


def _frame_key(raw: dict[str, Any]) -> bytes | None:
    """What names a frame in the cache: its JSON with `_UNKEYED` keys set to null (a
    dict copy and one C call, half the cost of leaving them out key by key).

    Equal JSON means equal fields of equal types (orjson tells ``1`` from ``1.0`` and
    ``true``), so frames with one key make one `Frame`; key order or an unmodeled key
    only costs a miss. None for what orjson cannot write (non-str keys, huge integers).
    """
    if not raw.keys().isdisjoint(_UNKEYED):
        raw = {**raw, **_BLANKED}
    try:
        return orjson.dumps(raw)
    except TypeError:
        return None


def _frame(raw: Any) -> Frame:
    """One frame. The same code path sends the same frames event after event, and a
    frozen `Frame` can be shared, so each distinct frame is validated once."""
    if not isinstance(raw, dict):
        return Frame()
    key = _frame_key(raw)
    frame = _FRAMES.get(key) if key is not None else None
    if frame is not None:
        return frame
    get = raw.get
    pre, post = _texts(get("pre_context")), _texts(get("post_context"))
    # A non-empty str (what SDKs send) is taken as it is: one type check, not a call.
    texts = [v if type(v) is str and v else _str(v) for v in map(get, _FRAME_TEXTS)]
    lineno, colno = get("lineno"), get("colno")
    fields = (
        *texts[:3],
        texts[3] or texts[5],
        lineno if type(lineno) is int else None,
        colno if type(colno) is int else None,
        texts[4],
        get("in_app") is True,
        *texts[5:],
    )
    values = dict(zip(_FRAME_KEYS, fields, strict=True))
    frame = Frame.model_validate({**values, "pre_context": pre, "post_context": post})
    if key is not None and len(key) <= _FRAME_KEPT_BYTES:
        if len(_FRAMES) >= _FRAMES_KEPT:
            _FRAMES.clear()
        _FRAMES[key] = frame  # a big frame is not kept: the count alone bounds no memory
    return frame


def _frames(stack: Any) -> list[Frame]:
    frames = stack.get("frames") if isinstance(stack, dict) else None
    return [_frame(f) for f in frames] if isinstance(frames, list) else []


# A chained exception's ``mechanism.source`` says what it is to its parent (the exception
# raised from it, next in the cause-first list): Python's __cause__/__context__, .NET's
# InnerException. Aggregate members ("exceptions[0]", "InnerExceptions[1]") are no link.
_LINKS = {"__cause__": "cause", "__context__": "context", "InnerException": "cause"}


def _link(raw: dict[str, Any], parent: dict[str, Any] | None) -> str | None:
    mechanism = raw.get("mechanism")
    if parent is None or not isinstance(mechanism, dict):
        return None
    link = _LINKS.get(str(mechanism.get("source")))
    parent_mechanism = parent.get("mechanism")
    parent_id = parent_mechanism.get("exception_id") if isinstance(parent_mechanism, dict) else None
    if "parent_id" in mechanism and parent_id is not None and mechanism["parent_id"] != parent_id:
        return None  # its parent is not the next exception (a group's member)
    return link


def _exceptions(event: dict[str, Any]) -> list[dict[str, Any]]:
    """`ExceptionInfo` fields of the event's exceptions, cause first."""
    container = event.get("exception")
    values = container.get("values") if isinstance(container, dict) else container
    if (
        values is None
        and isinstance(container, dict)
        and ("type" in container or "value" in container)
    ):
        values = [container]  # the protocol's older single-exception form
    out = []
    raws = [raw for raw in (values if isinstance(values, list) else []) if isinstance(raw, dict)]
    for index, raw in enumerate(raws):
        out.append(
            {
                "type": str(raw.get("type") or "Error"),
                "value": str(raw.get("value") or ""),
                "module": _str(raw.get("module")),
                "frames": _frames(raw.get("stacktrace") or raw.get("raw_stacktrace")),
                "link": _link(raw, raws[index + 1] if index + 1 < len(raws) else None),
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
        frame_extras = []
        for number, frame in enumerate(frames if isinstance(frames, list) else []):
            if not isinstance(frame, dict):
                continue
            if "vars" not in frame and frame.keys() <= _MODELED_FRAME:
                continue  # nothing unmodeled (a subset check allocates nothing)
            keys = frame.keys() - _MODELED_FRAME
            if len(keys) == 1:  # an SDK frame's ``vars``: no key-by-key copy
                (key,) = keys
                frame_extras.append({"frame": number, key: frame[key]})
            else:  # in the frame's order (a set's is not the same from run to run)
                unmodeled = {k: v for k, v in frame.items() if k not in _MODELED_FRAME}
                frame_extras.append({"frame": number, **unmodeled})
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
