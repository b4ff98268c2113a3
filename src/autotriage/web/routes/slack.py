"""Slack routes: ``POST /webhook/slack`` (Events API, or the simple ``{"text": ...}`` with
``WEBHOOK_SECRET``) and ``POST /webhook/slack/commands`` (the ``/autotriage`` command).

Slack wants a 2xx within 3 seconds: an event is only verified, parsed and committed here;
grouping and actions run later in the worker. The signature is checked on the raw body
before anything is parsed.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from autotriage.config import Settings
from autotriage.errors import Ignored, PayloadInvalid, SignatureInvalid
from autotriage.sources.base import load_json, require_object
from autotriage.sources.slack import events as slack
from autotriage.store import Store
from autotriage.store.groups import count_groups
from autotriage.store.scans import recent_scans
from autotriage.web.ingest import accept, lower_headers, read_body, services_of, verify

router = APIRouter()


def _verify_signed(request: Request, body: bytes, headers: dict[str, str]) -> None:
    """The signed branch only: slash commands never take the shared secret."""
    if "x-slack-signature" not in headers:
        raise SignatureInvalid("X-Slack-Signature header is missing")
    verify(request, "slack", body, headers)


def _is_form(headers: dict[str, str]) -> bool:
    return headers.get("content-type", "").startswith("application/x-www-form-urlencoded")


@router.post("/webhook/slack")
async def slack_webhook(request: Request) -> Response:
    """Slack's Events API (signed), a signed slash command, or ``{"text"}`` + WEBHOOK_SECRET."""
    body = await read_body(request)
    headers = lower_headers(request)
    verify(request, "slack", body, headers)
    if "x-slack-signature" not in headers:
        events = slack.parse(body, headers)
        outcome = await accept(request, slack.NAME, events)
        return JSONResponse(
            {
                "status": "accepted",
                "events": len(outcome.event_ids),
                "duplicates": outcome.duplicates,
            }
        )
    if _is_form(headers):
        return await _command(request, body)
    payload = require_object(load_json(body))
    kind = payload.get("type")
    if kind == "url_verification":
        challenge = payload.get("challenge")
        if not isinstance(challenge, str) or not challenge:
            raise PayloadInvalid("`challenge` must be a non-empty string")
        return PlainTextResponse(challenge)
    if kind != "event_callback":
        raise Ignored(f"Slack request type {kind!r} is not handled")
    event_id = payload.get("event_id")
    if not isinstance(event_id, str) or not event_id:
        raise PayloadInvalid("`event_id` must be a non-empty string")
    settings: Settings = request.app.state.settings
    allowed = settings.slack.slack_channels
    channel = slack.channel_of(payload)
    if allowed and channel not in allowed:
        raise Ignored(f"channel {channel} is not in SLACK_CHANNELS")
    events = slack.parse_event_callback(payload)
    outcome = await accept(request, slack.NAME, events, delivery_id=event_id)
    status = "duplicate" if outcome.redelivery or not outcome.event_ids else "accepted"
    return JSONResponse(
        {"status": status, "events": len(outcome.event_ids), "duplicates": outcome.duplicates}
    )


def _status_text(store: Store) -> str:
    with store.reading() as session:
        counts = count_groups(session)
    scans = recent_scans(store, 3)
    lines = [
        f"*autotriage*: {counts.get('open', 0)} open groups, "
        f"{counts.get('resolved', 0)} resolved, {counts.get('ignored', 0)} ignored."
    ]
    for scan in scans:
        progress = scan["progress"] or {}
        lines.append(
            f"scan {scan['id']} ({scan['trigger']}) {scan['status']}: "
            f"{progress.get('events_read', 0)} events read, "
            f"{progress.get('errors_found', 0)} errors found, started {scan['started_at'][:19]}"
        )
    if not scans:
        lines.append("No scans yet.")
    return "\n".join(lines)


async def _command(request: Request, body: bytes) -> JSONResponse:
    try:
        form = parse_qs(body.decode("utf-8"), strict_parsing=False)
    except UnicodeDecodeError:
        raise PayloadInvalid("the command body is not UTF-8") from None
    if "command" not in form:
        raise PayloadInvalid("`command` is missing from the form")
    words = (form.get("text") or [""])[0].split()
    verb = words[0].lower() if words else "help"
    reply: dict[str, Any] = {"response_type": "ephemeral"}
    if verb == "status":
        reply["text"] = await run_in_threadpool(_status_text, request.app.state.store)
    elif verb == "scan":
        outcome = await run_in_threadpool(services_of(request).scans.start, "slack")
        reply["text"] = {
            "started": f"Scan {outcome.get('scan_id')} started.",
            "already_running": f"Scan {outcome.get('scan_id')} is already running.",
        }.get(outcome["status"], "No pull source is configured: nothing to scan.")
    else:
        reply["text"] = "Usage: `/autotriage status` or `/autotriage scan`."
    return JSONResponse(reply)


@router.post("/webhook/slack/commands")
async def slack_command(request: Request) -> Response:
    """The ``/autotriage status|scan`` slash command (form-encoded, signed)."""
    body = await read_body(request)
    headers = lower_headers(request)
    _verify_signed(request, body, headers)
    return await _command(request, body)
