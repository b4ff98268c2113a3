"""The event model every pipeline stage speaks.

An `ErrorEvent` is the only currency between stages: sources produce them, intake
scrubs and persists them, grouping fingerprints them, analysis and actions read them.

Conventions follow Sentry's event protocol so interop is free:

* `ErrorEvent.exceptions` is ordered cause-first: the exception finally raised is last.
* `ExceptionInfo.frames` is ordered oldest-first: the crashing frame is last.
* every `Frame` says whether it is `in_app`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import to_jsonable_python

Level = Literal["debug", "info", "warning", "error", "fatal"]
LEVELS: tuple[Level, ...] = ("debug", "info", "warning", "error", "fatal")

_LEVEL_ALIASES: dict[str, Level] = {
    "debug": "debug",
    "trace": "debug",
    "info": "info",
    "information": "info",
    "notice": "info",
    "warn": "warning",
    "warning": "warning",
    "error": "error",
    "err": "error",
    "exception": "error",
    "severe": "error",
    "critical": "fatal",
    "crit": "fatal",
    "fatal": "fatal",
    "panic": "fatal",
    "alert": "fatal",
    "emergency": "fatal",
    "emerg": "fatal",
}


def normalize_level(value: object, default: Level = "error") -> Level:
    """Map a vendor's level name (``WARN``, ``critical``, ``Error``...) onto ours."""
    if isinstance(value, str):
        return _LEVEL_ALIASES.get(value.strip().lower(), default)
    return default


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def _first_line(text: str) -> str:
    stripped = text.strip()
    return stripped.splitlines()[0].strip() if stripped else ""


def compose_title(exc_type: str | None, exc_value: str, message: str) -> str:
    """An event's title from its raised exception's type and value, else its message."""
    if exc_type is not None:
        value = _first_line(exc_value)
        return f"{exc_type}: {value}" if value else exc_type
    return _first_line(message) or "(no message)"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Frame(_Frozen):
    """One stack frame, with Sentry's field names."""

    filename: str | None = None
    abs_path: str | None = None
    module: str | None = None
    function: str | None = None
    lineno: int | None = None
    colno: int | None = None
    in_app: bool = False
    context_line: str | None = None
    pre_context: list[str] = Field(default_factory=list)
    post_context: list[str] = Field(default_factory=list)
    raw_function: str | None = None
    """The name as the runtime printed it, where `function` is a normalized form of it
    (Firefox's ``/<`` closure markers, V8's ``[as alias]``, ``new X``); else None."""
    instruction_addr: str | None = None
    """The frame's instruction address as hex (``0x4579c1``): Go's ``pc=``, a native frame's
    address, or what a Sentry SDK sent, read relative to `addr_mode` when that is set."""
    addr_mode: str | None = None
    """Sentry's address mode (``abs``, ``rel:N``); None is absolute."""
    instruction_offset: str | None = None
    """Offset of the instruction in its function as hex: Go's ``+0x1d``, a .NET IL offset."""
    is_async: bool = False
    """The runtime marked the frame as an async continuation (V8's ``at async``, .NET's
    ``async Task``)."""

    @property
    def path(self) -> str | None:
        """The most specific path the frame names."""
        return self.abs_path or self.filename


class ExceptionInfo(_Frozen):
    """One exception of a chain; `frames` oldest-first, the crashing frame last."""

    type: str
    value: str = ""
    module: str | None = None
    frames: list[Frame] = Field(default_factory=list)
    link: Literal["cause", "context"] | None = None
    """How the runtime tied this exception to the next one of the chain: ``cause`` (the next
    was raised from this one: Python's "direct cause", Java's "Caused by:", .NET's inner
    exception, PHP's ``Next``, Node's ``[cause]``, Ruby's cause) or ``context`` (the next
    was raised while this one was handled: Python's "During handling"); None when the
    runtime said neither, or for the exception raised last."""

    @property
    def crashing_frame(self) -> Frame | None:
        """The in-app frame nearest the crash, else the last frame."""
        for frame in reversed(self.frames):
            if frame.in_app:
                return frame
        return self.frames[-1] if self.frames else None


class ErrorEvent(_Frozen):
    """A normalized error occurrence from any source."""

    source: str
    source_event_id: str | None = None
    received_at: datetime = Field(default_factory=utcnow)
    occurred_at: datetime | None = None
    level: Level = "error"
    platform: str | None = None
    environment: str | None = None
    release: str | None = None
    service: str | None = None
    message: str = ""
    culprit: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    link: str | None = None
    exceptions: list[ExceptionInfo] = Field(default_factory=list)
    fingerprint_hint: list[str] | None = None
    """An explicit fingerprint from the source (Sentry's ``fingerprint``)."""
    contexts: dict[str, Any] = Field(default_factory=dict)
    """Structured extras worth showing: user, request, sdk, log lines, alarm details."""
    raw: Any = None
    """What the source sent beyond the fields above, kept with the event (for most
    sources the whole payload; for Sentry events the parts not mapped onto fields)."""

    @property
    def primary_exception(self) -> ExceptionInfo | None:
        """The exception finally raised (last of the cause-first chain)."""
        return self.exceptions[-1] if self.exceptions else None

    @property
    def title(self) -> str:
        """``Type: value`` of the raised exception, else the message's first line."""
        exc = self.primary_exception
        if exc is not None:
            return compose_title(exc.type, exc.value, self.message)
        return compose_title(None, "", self.message)

    def as_replay_dict(self, fingerprint: str | None) -> dict[str, Any]:
        """The stable JSON shape `autotriage replay --json` prints."""
        return {
            "source": self.source,
            "fingerprint": fingerprint,
            "level": self.level,
            "title": self.title,
            "message": self.message,
            "release": self.release,
            "environment": self.environment,
            "tags": dict(self.tags),
            "exceptions": [
                {
                    "type": exc.type,
                    "value": exc.value,
                    "module": exc.module,
                    "frames": [
                        {
                            "filename": f.filename,
                            "abs_path": f.abs_path,
                            "module": f.module,
                            "function": f.function,
                            "lineno": f.lineno,
                            "colno": f.colno,
                            "in_app": f.in_app,
                        }
                        for f in exc.frames
                    ],
                }
                for exc in self.exceptions
            ],
        }


def payload_data(event: ErrorEvent) -> dict[str, Any]:
    """`event` as data, its typed fields as JSON types and ``contexts`` and ``raw`` as they
    are: ``model_dump(mode="json")`` of the typed fields, in field order, without pydantic's
    serializer (it cost a third of scrubbing an event).

    Frames and the other typed values are JSON types already, so each model's field dict
    is handed out as it is, and only the times are converted: the result shares the
    event's own dicts and lists, for readers that copy what they read (the scrub walk).
    """
    data = dict(event.__dict__)
    data["received_at"] = to_jsonable_python(event.received_at)
    if event.occurred_at is not None:
        data["occurred_at"] = to_jsonable_python(event.occurred_at)
    data["exceptions"] = [
        {**exc.__dict__, "frames": [frame.__dict__ for frame in exc.frames]}
        for exc in event.exceptions
    ]
    return data
