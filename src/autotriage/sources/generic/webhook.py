"""The generic webhook: any app or CI job posts one documented JSON document per error.

Schema (docs/sources.md has the full description and an example)::

    {
      "message": "text",                       required unless `exception` is given
      "level": "error",                        debug|info|warning|error|fatal (aliases ok)
      "exception": {
        "type": "ValueError", "value": "text",
        "stacktrace": "raw trace text",        parsed by understanding.text, or
        "frames": [{"filename", "abs_path", "module", "function", "lineno", "colno",
                    "in_app", "context_line"}] oldest first, crashing frame last
      },
      "service": "...", "environment": "...", "release": "...", "platform": "...",
      "tags": {"key": "value"}, "fingerprint": ["..."], "event_id": "...",
      "timestamp": "2026-11-29T02:00:00Z" or epoch seconds, "link": "https://..."
    }

Unknown fields are refused (a typo should not silently drop data). Every document is
signed: ``X-Autotriage-Timestamp: <unix seconds>`` and ``X-Autotriage-Signature:
sha256=<hex HMAC-SHA256 of "<timestamp>." + raw body, keyed with WEBHOOK_SECRET>``; the
timestamp must be within ``WEBHOOK_MAX_SKEW_SECONDS`` (5 minutes) of our clock. The
timestamp is part of the signed message so a captured request cannot be replayed later
with a fresh timestamp.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from autotriage.errors import PayloadInvalid, SignatureInvalid
from autotriage.models import ErrorEvent, ExceptionInfo, Frame, normalize_level
from autotriage.sources.base import load_json, signed_delivery_id
from autotriage.understanding.text import parse_text

NAME = "generic"
SIGNATURE_HEADER = "x-autotriage-signature"
TIMESTAMP_HEADER = "x-autotriage-timestamp"

Short = Annotated[str, StringConstraints(max_length=1000)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class FrameIn(_Strict):
    """One frame of ``exception.frames``."""

    filename: Short | None = None
    abs_path: Short | None = None
    module: Short | None = None
    function: Short | None = None
    lineno: int | None = Field(None, ge=0)
    colno: int | None = Field(None, ge=0)
    in_app: bool = True
    context_line: Short | None = None


class ExceptionIn(_Strict):
    """The ``exception`` object."""

    type: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    value: Annotated[str, StringConstraints(max_length=8192)] = ""
    stacktrace: Annotated[str, StringConstraints(max_length=256 * 1024)] | None = None
    frames: list[FrameIn] = Field(default_factory=list, max_length=500)


class Document(_Strict):
    """A generic webhook document."""

    message: Annotated[str, StringConstraints(max_length=8192)] = ""
    level: str = "error"
    exception: ExceptionIn | None = None
    service: Short | None = None
    environment: Short | None = None
    release: Short | None = None
    platform: Short | None = None
    tags: dict[Short, Short] = Field(default_factory=dict, max_length=100)
    fingerprint: list[Short] | None = Field(None, max_length=20)
    event_id: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    timestamp: datetime | float | None = None
    link: Short | None = None


def _where(error: Mapping[str, Any]) -> str:
    return ".".join(str(part) for part in error.get("loc", ())) or "body"


def verify(body: bytes, headers: Mapping[str, str], secret: str | None) -> None:
    """Check the signature: an HMAC of ``"<timestamp>." + body`` (preferred: a captured
    request cannot be replayed under a new timestamp) or of the raw body alone."""
    if not secret:
        raise SignatureInvalid("WEBHOOK_SECRET is not configured, so signed posts are refused")
    stamp = headers.get(TIMESTAMP_HEADER, "").strip()
    if not stamp.isdigit():
        raise SignatureInvalid("X-Autotriage-Timestamp must be the send time in unix seconds")
    given = headers.get(SIGNATURE_HEADER, "").strip()
    scheme, _, digest = given.partition("=")
    if scheme != "sha256" or not digest:
        raise SignatureInvalid("X-Autotriage-Signature must be sha256=<hex>")
    given_digest = digest.lower().encode()
    for message in (stamp.encode() + b"." + body, body):
        expected = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
        if hmac.compare_digest(given_digest, expected.encode()):
            return
    raise SignatureInvalid("X-Autotriage-Signature does not match the body")


def delivery_id(body: bytes, headers: Mapping[str, str]) -> str:
    """The dedupe name of a verified request: body and signature, never the timestamp (a
    body-only signature holds under any timestamp, so a replay with a fresh one is a resend).
    """
    return signed_delivery_id(body, headers.get(SIGNATURE_HEADER, "").partition("=")[2])


def check_fresh(headers: Mapping[str, str], now: float, max_skew: int) -> None:
    """Refuse a timestamp more than `max_skew` seconds from `now` (replays, bad clocks)."""
    stamp = int(headers.get(TIMESTAMP_HEADER, "0").strip() or 0)
    if abs(now - stamp) > max_skew:
        raise SignatureInvalid(f"X-Autotriage-Timestamp is more than {max_skew}s from our clock")


def _exceptions(doc: ExceptionIn) -> list[ExceptionInfo]:
    if doc.frames:
        frames = [Frame(**frame.model_dump()) for frame in doc.frames]
        return [ExceptionInfo(type=doc.type, value=doc.value, frames=frames)]
    if doc.stacktrace:
        chain = parse_text(doc.stacktrace)[0].exceptions
        if chain:
            return chain
    return [ExceptionInfo(type=doc.type, value=doc.value)]


def _occurred(value: datetime | float | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):  # past the calendar, or NaN
        raise PayloadInvalid("timestamp: epoch seconds out of range") from None


def parse(body: bytes, headers: Mapping[str, str]) -> list[ErrorEvent]:
    """One generic document to an event; `PayloadInvalid` names the first bad field."""
    del headers
    raw = load_json(body)
    try:
        doc = Document.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise PayloadInvalid(f"{_where(first)}: {first.get('msg', 'invalid')}") from None
    if not doc.message and doc.exception is None:
        raise PayloadInvalid("message: required when there is no exception")
    level = normalize_level(doc.level, default="debug")
    if level != normalize_level(doc.level, default="fatal"):  # unknown names fall to default
        raise PayloadInvalid("level: must be debug, info, warning, error or fatal")
    exceptions = _exceptions(doc.exception) if doc.exception else []
    return [
        ErrorEvent(
            source=NAME,
            source_event_id=doc.event_id,
            occurred_at=_occurred(doc.timestamp),
            level=level,
            platform=doc.platform,
            environment=doc.environment,
            release=doc.release,
            service=doc.service,
            message=doc.message or (exceptions[-1].value if exceptions else ""),
            tags=dict(doc.tags),
            link=doc.link,
            exceptions=exceptions,
            fingerprint_hint=doc.fingerprint,
            raw=raw,
        )
    ]
