"""The original design's Slack webhook (shared-secret form); Sentry's lives in routes/sentry.py."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from autotriage.sources import slack
from autotriage.web.ingest import accept, check_shared_secret, lower_headers, read_body

router = APIRouter()


@router.post("/webhook/slack")
async def slack_webhook(request: Request) -> JSONResponse:
    """An app posting ``{"text": ...}`` with ``WEBHOOK_SECRET``."""
    body = await read_body(request)
    check_shared_secret(request)
    events = slack.parse(body, lower_headers(request))
    outcome = await accept(request, slack.NAME, events)
    return JSONResponse(
        {"status": "accepted", "events": len(outcome.event_ids), "duplicates": outcome.duplicates}
    )

