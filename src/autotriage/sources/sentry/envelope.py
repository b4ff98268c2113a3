"""Sentry's SDK transport: the DSN endpoints and the envelopes SDKs post to them.

Docs: https://develop.sentry.dev/sdk/data-model/envelopes/ (envelopes and their item
types).

* ``POST /api/{project_id}/envelope/`` and ``/api/{project_id}/store/``: autotriage as a
  Sentry DSN. The key comes from ``X-Sentry-Auth``, ``Authorization: Sentry``, the
  ``sentry_key`` parameter or the envelope's ``dsn``; the answer is ``{"id": ...}`` once
  the events are committed, 429 with ``Retry-After``/``X-Sentry-Rate-Limits`` under
  overload or quota.
  CORS (`DsnCors`), so browser SDKs (``@sentry/browser``) can post from a page: they post
  from the page's origin with the key in the query string, and read
  ``X-Sentry-Rate-Limits``/``Retry-After`` from the answer to back off. Like Sentry's own
  ingest, the DSN endpoints answer any origin: the public key, not the origin, is the
  credential, and no cookie is ever read. Preflight ``OPTIONS`` requests are answered
  there; every answer of those paths, refusals included, carries the CORS headers.
* ``POST /bench/drop`` (only with ``AUTOTRIAGE_BENCH_ENDPOINTS``): reads the body and
  drops it, the baseline `bench/ingest_sentry.py` compares against.

An envelope is a JSON header line, then items: a JSON item header line and a payload,
exactly ``length`` bytes or (without ``length``) up to the next newline. ``event`` items
(at most one per envelope, as the spec says; more is a 400) map through
`autotriage.sources.sentry.event.event_from_sentry`; the other known types are counted,
not stored; unknown types are skipped, never rejected, so a newer SDK keeps working.
`parse_envelope`, `extract`, `parse_store`, `parse` and `sniff` are pure (``replay``
uses the last two); ``Content-Encoding`` is undone by the ingest edge
(`autotriage.web.ingest`) before them.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from autotriage.errors import PayloadInvalid
from autotriage.models import ErrorEvent
from autotriage.sources.base import load_json, require_object
from autotriage.sources.sentry.event import NAME, event_from_sentry
from autotriage.web.ingest import (
    IngestGuard,
    KeyRing,
    accept,
    guarded,
    inflate,
    lower_headers,
    read_body,
    read_inflated,
    services_of,
)

EVENT_TYPES = frozenset({"event"})
MAX_EVENTS = 1
"""Event items per envelope: "an envelope may contain at most one event" (the spec)."""
COUNTED_TYPES = frozenset(
    {
        "transaction", "session", "sessions", "client_report", "attachment", "user_report",
        "feedback", "profile", "profile_chunk", "replay_event", "replay_recording",
        "replay_video", "check_in", "statsd", "metric_buckets", "span", "log", "otel_log",
    }
)  # fmt: skip
bench = APIRouter()

# --- envelopes (pure) ----------------------------------------------------------------


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


def _json_line(line: bytes, what: str) -> dict[str, Any]:
    return require_object(load_json(line, what=what), what)


def _line(data: bytes, pos: int) -> tuple[bytes, int]:
    """The line starting at `pos` (without its newline) and where the next one starts."""
    end = data.find(b"\n", pos)
    return (data[pos:], len(data)) if end < 0 else (data[pos:end], end + 1)


def parse_envelope(data: bytes) -> Envelope:
    """Split an envelope into its header and items, or raise `PayloadInvalid`."""
    head, pos = _line(data, 0)
    if not head.strip():
        raise PayloadInvalid("envelope header line is empty")
    envelope = Envelope(_json_line(head, "envelope header"))
    size = len(data)
    while pos < size:
        line, pos = _line(data, pos)
        if not line.strip():
            continue  # blank lines between items and at the end are allowed
        number = len(envelope.items) + 1
        headers = _json_line(line, f"item {number} header")
        item_type = headers.get("type")
        if not isinstance(item_type, str) or not item_type:
            raise PayloadInvalid(f"item {number} header has no `type`")
        length = headers.get("length")
        if length is None:
            payload, pos = _line(data, pos)
        elif isinstance(length, bool) or not isinstance(length, int) or length < 0:
            raise PayloadInvalid(f"item {number} `length` must be a non-negative integer")
        elif pos + length > size:
            raise PayloadInvalid(
                f"item {number} declares {length} bytes but only {size - pos} remain"
            )
        else:
            payload, pos = data[pos : pos + length], pos + length
            pos += data[pos : pos + 1] == b"\n"  # the newline after a sized payload
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
            out.events.append(event_from_sentry(event))
        elif item.type in COUNTED_TYPES:
            out.dropped[item.type] += 1
        else:
            out.skipped[item.type] += 1
    return out


def parse_store(data: bytes) -> ErrorEvent:
    """The legacy ``/store/`` body: one event in Sentry's protocol."""
    return event_from_sentry(require_object(load_json(data, what="event")))


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


# --- DSN endpoints -------------------------------------------------------------------


def _answer(event_id: str | None) -> Response:
    """``{"id": ...}``, the bytes `JSONResponse` would send, rendered by orjson."""
    return Response(orjson.dumps({"id": event_id}), media_type="application/json")


async def envelope(request: Request) -> Response:
    """Sentry SDK envelopes: errors stored, other items acknowledged and dropped."""
    project_id: int = request.path_params["project_id"]

    async def handle(ring: KeyRing, guard: IngestGuard) -> Response:
        headers = lower_headers(request)
        # A key in the headers or the query is checked before the body is read; only a
        # key in the envelope's own header (browsers' sendBeacon) needs the body first.
        key = public_key(headers, request.query_params)
        info = await ring.resolve(key, project_id) if key else None
        data = await read_inflated(request)
        parsed = parse_envelope(data)
        if info is None:
            key = public_key(headers, request.query_params, parsed.headers)
            info = await ring.resolve(key, project_id)
        extracted = extract(parsed)
        await guard.charge(info, len(extracted.events))
        if extracted.events:
            await accept(request, NAME, extracted.events, size=len(data))
        event_id = parsed.headers.get("event_id")
        if not isinstance(event_id, str):
            event_id = extracted.events[0].source_event_id if extracted.events else None
        return _answer(event_id)

    return await guarded(request, handle)


def _legacy_store_body(data: bytes, limit: int) -> bytes:
    """Old SDKs (raven) sent base64 of zlib-deflated JSON to /store/; inflated within
    `limit` bytes, as any ``Content-Encoding`` is (413 past it)."""
    if data.lstrip()[:1] in (b"{", b""):
        return data
    try:
        deflated = base64.b64decode(data, validate=False)
    except binascii.Error:
        raise PayloadInvalid("event is neither JSON nor base64-encoded deflated JSON") from None
    try:
        return inflate(deflated, "deflate", limit)
    except PayloadInvalid:
        raise PayloadInvalid("event is neither JSON nor base64-encoded deflated JSON") from None


async def store_event(request: Request) -> Response:
    """The legacy single-event endpoint (older SDKs and some tools still use it)."""
    project_id: int = request.path_params["project_id"]

    async def handle(ring: KeyRing, guard: IngestGuard) -> Response:
        # The key first: nothing is read or inflated for a caller without one.
        key = public_key(lower_headers(request), request.query_params)
        info = await ring.resolve(key, project_id)
        limit = services_of(request).limits.inflated
        data = _legacy_store_body(await read_inflated(request), limit)
        event = parse_store(data)
        await guard.charge(info, 1)
        await accept(request, NAME, [event], size=len(data))
        return _answer(event.source_event_id or uuid.uuid4().hex)

    return await guarded(request, handle)


_DSN_PATH = re.compile(r"^/api/\d+/(?:envelope|store)/$")
_ALLOWED_HEADERS = (
    "content-type, content-encoding, x-sentry-auth, authorization, sentry-trace, baggage"
)
_ANSWER_HEADERS = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-expose-headers", b"x-sentry-rate-limits, retry-after, x-sentry-error"),
]
_PREFLIGHT_HEADERS = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-allow-methods", b"POST, OPTIONS"),
    (b"access-control-allow-headers", _ALLOWED_HEADERS.encode()),
    (b"access-control-max-age", b"3600"),
]


class DsnCors:
    """ASGI middleware adding CORS to the DSN endpoints only."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _DSN_PATH.match(scope["path"]):
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS":
            start = {"type": "http.response.start", "status": 204, "headers": _PREFLIGHT_HEADERS}
            await send(start)
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *_ANSWER_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_cors)


# The DSN endpoints are plain Starlette routes: SDKs post often, and FastAPI's
# per-request parameter machinery would cost more than these handlers need.
dsn_routes = [
    Route("/api/{project_id:int}/envelope/", envelope, methods=["POST"]),
    Route("/api/{project_id:int}/store/", store_event, methods=["POST"]),
]


@bench.post("/bench/drop")
async def bench_drop(request: Request) -> JSONResponse:
    """Read the body and drop it: the same stack with no parsing and no store."""
    body = await read_body(request, services_of(request).limits.ingest)
    return JSONResponse({"id": None, "bytes": len(body)})


# --- DSN auth ------------------------------------------------------------------------


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
