"""The original design's webhooks: /webhook/sentry (shared-secret form).

/webhook/slack lives in `autotriage.web.routes.slack`.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from autotriage.sources import sentry
from autotriage.web.ingest import accept, check_shared_secret, lower_headers, read_body

router = APIRouter()


@router.post("/webhook/sentry")
async def sentry_webhook(request: Request) -> JSONResponse:
    """Sentry's legacy WebHooks plugin, with ``WEBHOOK_SECRET`` as ``token`` or header."""
    body = await read_body(request)
    check_shared_secret(request)
    events = sentry.parse(body, lower_headers(request))
    outcome = await accept(request, sentry.NAME, events)
    return JSONResponse(
        {"status": "accepted", "events": len(outcome.event_ids), "duplicates": outcome.duplicates}
    )
