"""Sentry at the web edge: ``/webhook/sentry`` and the DSN endpoints.

* ``POST /webhook/sentry``: Integration Platform deliveries (``Sentry-Hook-Signature``
  checked against ``SENTRY_CLIENT_SECRET`` before parsing) and the legacy WebHooks
  plugin (``WEBHOOK_SECRET`` as ``X-Autotriage-Token``, or as ``?token=``: the plugin can
  only be given a URL, so this route alone takes it there, and nothing logs it). Redeliveries
  dedupe on ``Request-ID`` and on event ids.
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
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from autotriage.config_sections import SentrySettings
from autotriage.errors import PayloadInvalid, SentryApiError
from autotriage.intake import SENTRY_ISSUE, Intake, IssueRef
from autotriage.lifecycle import Signal, Status
from autotriage.models import ErrorEvent
from autotriage.sources.base import load_json, require_object, signed_delivery_id
from autotriage.sources.sentry import api as sentry_api
from autotriage.sources.sentry import event as sentry_event
from autotriage.sources.sentry import webhooks as sentry
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
    verify,
)

log = logging.getLogger(__name__)
router = APIRouter()
bench = APIRouter()

FETCH_BUDGET_SECONDS = 0.6
"""How long an ``issue.created`` hook may wait for the latest event (Sentry allows ~1 s)."""


# --- webhooks ------------------------------------------------------------------------


def _fetch_latest(http: httpx.Client, settings: SentrySettings, issue_id: str) -> ErrorEvent | None:
    """The latest event of `issue_id` through the one outbound client (`Services.http`),
    within `FETCH_BUDGET_SECONDS`; None without a token or when Sentry fails us."""
    token = settings.sentry_auth_token
    if token is None:
        return None
    try:
        return sentry_api.latest_event(
            http,
            settings.sentry_url,
            token.get_secret_value(),
            issue_id,
            settings.sentry_organization,
            timeout=FETCH_BUDGET_SECONDS,
        )
    except SentryApiError as exc:
        log.warning("could not fetch the latest event of Sentry issue %r: %s", issue_id[:40], exc)
        return None


def _with_frames(issue_event: ErrorEvent, latest: ErrorEvent) -> ErrorEvent:
    """The issue's event, with the latest event's frames and details."""
    contexts = {**latest.contexts, "sentry": {**issue_event.contexts.get("sentry", {})}}
    return latest.model_copy(
        update={
            "source_event_id": issue_event.source_event_id,
            "contexts": contexts,
            "link": issue_event.link or latest.link,
            "tags": {**latest.tags, **issue_event.tags},
        }
    )


def _apply_status(
    intake: Intake, change: sentry.StatusChange, delivery_id: str | None
) -> dict[str, Any]:
    signal = Signal(
        Status(change.status), sentry.NAME, release=change.release, fixed_commit=change.commit
    )
    ref = IssueRef(SENTRY_ISSUE, change.issue_id)
    outcome = intake.apply_status(sentry.NAME, ref, signal, delivery_id=delivery_id)
    if outcome.duplicate:
        return {"status": "duplicate", "groups": []}
    return {"status": "updated" if outcome.changed else "no_group", "groups": outcome.changed}


def _accepted(outcome: Any) -> JSONResponse:
    return JSONResponse(
        {"status": "accepted", "events": len(outcome.event_ids), "duplicates": outcome.duplicates}
    )


@router.post("/webhook/sentry")
async def sentry_webhook(request: Request) -> JSONResponse:
    """An Integration Platform delivery (signed) or a legacy plugin post (token)."""
    settings = services_of(request).sentry
    body = await read_body(request)
    headers = lower_headers(request)
    # The legacy plugin is configured with a URL alone: only here may the secret be in it.
    verify(request, "sentry", body, headers, token_in_query=True)
    if "sentry-hook-signature" not in headers and "sentry-hook-resource" not in headers:
        events = sentry.parse(body, headers)
        return _accepted(await accept(request, sentry.NAME, events))
    resource = headers.get("sentry-hook-resource", "").strip()
    if not resource:
        raise PayloadInvalid("Sentry-Hook-Resource header is missing")
    hook = sentry.parse_hook(require_object(load_json(body)), resource)
    # Request-ID is not signed, so a replay could change it: name the delivery by what is.
    delivery_id = signed_delivery_id(body, headers.get("sentry-hook-signature", ""))
    if hook.status is not None:
        answer = await run_in_threadpool(
            _apply_status, services_of(request).intake, hook.status, delivery_id
        )
        return JSONResponse(answer)
    events = hook.events
    if hook.issue_id and settings.sentry_auth_token is not None:
        http = services_of(request).http
        latest = await run_in_threadpool(_fetch_latest, http, settings, hook.issue_id)
        if latest is not None:
            events = [_with_frames(events[0], latest)]
    return _accepted(await accept(request, sentry.NAME, events, delivery_id=delivery_id))


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
        parsed = sentry_event.parse_envelope(data)
        if info is None:
            key = public_key(headers, request.query_params, parsed.headers)
            info = await ring.resolve(key, project_id)
        extracted = sentry_event.extract(parsed)
        await guard.charge(info, len(extracted.events))
        if extracted.events:
            await accept(request, sentry.NAME, extracted.events, size=len(data))
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
        event = sentry_event.parse_store(data)
        await guard.charge(info, 1)
        await accept(request, sentry.NAME, [event], size=len(data))
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
