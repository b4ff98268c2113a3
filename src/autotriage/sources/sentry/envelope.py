"""Sentry's ingestion protocol: envelopes, the legacy store body, and DSN auth.

Docs: https://develop.sentry.dev/sdk/data-model/envelopes/ (wire format),
https://develop.sentry.dev/sdk/data-model/envelope-items/ (item types) and
https://develop.sentry.dev/sdk/overview/#authentication (``X-Sentry-Auth``).

An envelope is a JSON header line, then items: a JSON item header line and a payload,
either exactly ``length`` bytes or (without ``length``) up to the next newline. ``event``
items become `ErrorEvent`s through `event.event_from_sentry` (at most one per envelope, as
the spec says; more is a 400 saying so); ``transaction``,
``session``, ``sessions``, ``client_report``, ``attachment`` and the other known types
are accepted and counted but not stored; unknown types are skipped, never rejected, so
a newer SDK keeps working.

Everything here is pure: bytes in, events and counts out. ``Content-Encoding`` is
undone before, at the web edge (`autotriage.web.codecs`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from autotriage.errors import PayloadInvalid
from autotriage.models import ErrorEvent
from autotriage.sources.base import load_json, require_object
from autotriage.sources.sentry import event as sentry

EVENT_TYPES = frozenset({"event"})
MAX_EVENTS = 1
"""Event items per envelope: "an envelope may contain at most one event" (the spec)."""
COUNTED_TYPES = frozenset(
    {
        "transaction",
        "session",
        "sessions",
        "client_report",
        "attachment",
        "user_report",
        "feedback",
        "profile",
        "profile_chunk",
        "replay_event",
        "replay_recording",
        "replay_video",
        "check_in",
        "statsd",
        "metric_buckets",
        "span",
        "log",
        "otel_log",
    }
)


@dataclass(frozen=True, slots=True)
class Item:
    """One envelope item: its header and its payload bytes."""

    type: str
    headers: dict[str, Any]
    payload: bytes


@dataclass(slots=True)
class Envelope:
    """A parsed envelope."""

    headers: dict[str, Any]
    items: list[Item] = field(default_factory=list)


@dataclass(slots=True)
class Extracted:
    """What an envelope held: the error events, and the other items by type."""

    events: list[ErrorEvent] = field(default_factory=list)
    dropped: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)


# --- envelopes -----------------------------------------------------------------------


def _json_line(line: bytes, what: str) -> dict[str, Any]:
    return require_object(load_json(line, what=what), what)


def parse_envelope(data: bytes) -> Envelope:
    """Split an envelope into its header and items, or raise `PayloadInvalid`."""
    newline = data.find(b"\n")
    head = data if newline < 0 else data[:newline]
    if not head.strip():
        raise PayloadInvalid("envelope header line is empty")
    envelope = Envelope(_json_line(head, "envelope header"))
    pos = len(data) if newline < 0 else newline + 1
    size = len(data)
    while pos < size:
        end = data.find(b"\n", pos)
        line = data[pos:] if end < 0 else data[pos:end]
        pos = size if end < 0 else end + 1
        if not line.strip():
            continue  # blank lines between items and at the end are allowed
        number = len(envelope.items) + 1
        headers = _json_line(line, f"item {number} header")
        item_type = headers.get("type")
        if not isinstance(item_type, str) or not item_type:
            raise PayloadInvalid(f"item {number} header has no `type`")
        length = headers.get("length")
        if length is not None:
            if isinstance(length, bool) or not isinstance(length, int) or length < 0:
                raise PayloadInvalid(f"item {number} `length` must be a non-negative integer")
            if pos + length > size:
                raise PayloadInvalid(
                    f"item {number} declares {length} bytes but only {size - pos} remain"
                )
            payload = data[pos : pos + length]
            pos += length
            if pos < size and data[pos : pos + 1] == b"\n":
                pos += 1
        else:
            end = data.find(b"\n", pos)
            payload = data[pos:] if end < 0 else data[pos:end]
            pos = size if end < 0 else end + 1
        envelope.items.append(Item(item_type, headers, payload))
    return envelope


def extract(envelope: Envelope) -> Extracted:
    """The error events in `envelope`; other item types counted as dropped or skipped."""
    out = Extracted()
    events = sum(1 for item in envelope.items if item.type in EVENT_TYPES)
    if events > MAX_EVENTS:
        raise PayloadInvalid(
            f"an envelope holds at most {MAX_EVENTS} event item (Sentry's envelope spec); "
            f"this one holds {events}: send one envelope per event"
        )
    header_id = envelope.headers.get("event_id")
    for number, item in enumerate(envelope.items, start=1):
        if item.type in EVENT_TYPES:
            event = require_object(load_json(item.payload, what=f"item {number} (event)"))
            if not event.get("event_id") and isinstance(header_id, str):
                event["event_id"] = header_id
            out.events.append(sentry.event_from_sentry(event))
        elif item.type in COUNTED_TYPES:
            out.dropped[item.type] += 1
        else:
            out.skipped[item.type] += 1
    return out


def parse_store(data: bytes) -> ErrorEvent:
    """The legacy ``/store/`` body: one event in Sentry's protocol."""
    return sentry.event_from_sentry(require_object(load_json(data, what="event")))


def parse(body: bytes, headers: Mapping[str, str]) -> list[ErrorEvent]:
    """An envelope file's error events (for ``autotriage replay``)."""
    del headers
    return extract(parse_envelope(body)).events


def sniff(body: bytes) -> bool:
    """True for an envelope: a JSON header line, then an item header naming a ``type``."""
    lines = [line for line in body[:8192].split(b"\n")[:3] if line.strip()]
    return (
        len(lines) >= 2
        and lines[0].lstrip().startswith(b"{")
        and lines[1].lstrip().startswith(b"{")
        and b'"type"' in lines[1]
    )


# --- auth ----------------------------------------------------------------------------


def _auth_fields(value: str) -> dict[str, str]:
    value = value.strip()
    if value.lower().startswith("sentry "):
        value = value[7:]
    fields = {}
    for part in value.split(","):
        name, _, given = part.strip().partition("=")
        if name:
            fields[name.strip().lower()] = given.strip()
    return fields


def public_key(
    headers: Mapping[str, str],
    query: Mapping[str, str],
    envelope_header: Mapping[str, Any] | None = None,
) -> str | None:
    """The DSN public key a request presents, from any of the places SDKs put it.

    In order: ``X-Sentry-Auth``, ``Authorization: Sentry ...``, the ``sentry_key`` query
    parameter, and the envelope header's ``dsn``. `headers` has lower-cased names.
    """
    for name in ("x-sentry-auth", "authorization"):
        raw = headers.get(name)
        if raw and (name == "x-sentry-auth" or raw.strip().lower().startswith("sentry ")):
            key = _auth_fields(raw).get("sentry_key")
            if key:
                return key
    if query.get("sentry_key"):
        return query["sentry_key"]
    dsn = (envelope_header or {}).get("dsn")
    if isinstance(dsn, str):
        user = urlsplit(dsn).username
        if user:
            return user
    return None
