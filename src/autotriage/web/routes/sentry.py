"""Sentry's webhooks at the web edge: ``POST /webhook/sentry``.

Integration Platform deliveries (``Sentry-Hook-Signature`` checked against
``SENTRY_CLIENT_SECRET`` before parsing) and the legacy WebHooks plugin
(``WEBHOOK_SECRET`` as ``X-Autotriage-Token``, or as ``?token=``: the plugin can only be
given a URL, so this route alone takes it there, and nothing logs it). Redeliveries
dedupe on ``Request-ID`` and on event ids. The DSN endpoints SDKs post envelopes to are
`autotriage.sources.sentry.envelope`.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from autotriage.config_sections import SentrySettings
from autotriage.errors import PayloadInvalid, SentryApiError
from autotriage.intake import SENTRY_ISSUE, Intake, IssueRef
from autotriage.lifecycle import Signal, Status
from autotriage.models import ErrorEvent
from autotriage.sources.base import load_json, require_object, signed_delivery_id
from autotriage.sources.sentry import api as sentry_api
from autotriage.sources.sentry import webhooks as sentry
from autotriage.web.ingest import (
    accept,
    lower_headers,
    read_body,
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
