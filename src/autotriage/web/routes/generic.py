"""``POST /webhook/generic``: a signed JSON document per error (schema in sources/generic.py).

Signature and timestamp are checked on the raw body before parsing (401); a document
that breaks the schema is a 400 naming the field; a resend of the same signed request is
recognised by body and signature (not the timestamp) and stored once.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from autotriage.sources.generic import webhook as generic
from autotriage.web.ingest import accept, lower_headers, read_body, verify

router = APIRouter()


@router.post("/webhook/generic")
async def generic_webhook(request: Request) -> JSONResponse:
    """Verify, parse and store one generic document."""
    body = await read_body(request)
    headers = lower_headers(request)
    verify(request, "generic", body, headers)
    events = generic.parse(body, headers)
    delivery = generic.delivery_id(body, headers)
    outcome = await accept(request, generic.NAME, events, delivery_id=delivery)
    return JSONResponse(
        {"status": "accepted", "events": len(outcome.event_ids), "duplicates": outcome.duplicates}
    )
