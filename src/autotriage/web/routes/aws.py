"""AWS push routes: ``POST /webhook/firehose`` (Firehose HTTP endpoint) and
``POST /webhook/sns`` (an SNS HTTPS subscription, for CloudWatch alarms).

Firehose wants its own reply shape (``{requestId, timestamp}``, plus ``errorMessage`` on
failure), so that route answers errors itself. SNS messages are checked against the topic
allow-list before anything else, then their signature, before a single field is used.
"""

from __future__ import annotations

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from autotriage.errors import Ignored, IntakeError, Overloaded, PayloadInvalid
from autotriage.sources.aws import firehose, sns
from autotriage.sources.base import load_json, require_object
from autotriage.web.ingest import accept, lower_headers, read_body, services_of, verify

router = APIRouter()


def _now_ms(request: Request) -> int:
    return int(services_of(request).clock() * 1000)


@router.post("/webhook/firehose")
async def firehose_delivery(request: Request) -> JSONResponse:
    """A Firehose delivery: access key, decode, skip control messages, store once."""
    headers = lower_headers(request)
    rid = headers.get("x-amz-firehose-request-id", "")
    try:
        verify(request, "firehose", b"", headers)
        body = await read_body(request, services_of(request).limits.firehose)
        rid = firehose.request_id(require_object(load_json(body)), headers)
        delivery = await run_in_threadpool(firehose.read_delivery, body, headers)
        outcome = await accept(
            request, firehose.NAME, delivery.events, delivery_id=f"firehose:{rid}"
        )
        if not outcome.redelivery:  # a retried delivery left the same lines unread
            services_of(request).metrics.left_unread("firehose", delivery.unread.counts())
    except IntakeError as exc:
        reply = {"requestId": rid, "timestamp": _now_ms(request), "errorMessage": exc.reason}
        return JSONResponse(reply, status_code=exc.status_code)
    return JSONResponse({"requestId": rid, "timestamp": _now_ms(request)})


def _confirm(http: httpx.Client, url: str) -> int:
    try:
        return http.get(url, timeout=10.0).status_code
    except httpx.HTTPError:
        return 0


@router.post("/webhook/sns")
async def sns_delivery(request: Request) -> JSONResponse:
    """An SNS message: topic allow-list, signature, then confirm or store the alarm."""
    body = await read_body(request)
    headers = lower_headers(request)
    message = sns.load_message(body)
    header_type = headers.get("x-amz-sns-message-type")
    if header_type and header_type != message["Type"]:
        raise PayloadInvalid("x-amz-sns-message-type does not match `Type`")
    # The allow-list and the signature, by the registered verifier (it fetches certificates).
    await run_in_threadpool(verify, request, "sns", body, headers)
    kind = message["Type"]
    if kind == "SubscriptionConfirmation":
        url = sns.subscribe_url(message)
        status = await run_in_threadpool(_confirm, services_of(request).http, url)
        if status != 200:
            raise Overloaded(f"SNS answered {status or 'nothing'} to the confirmation; retry")
        return JSONResponse({"status": "confirmed", "topic": message["TopicArn"]})
    if kind == "UnsubscribeConfirmation":
        raise Ignored("unsubscribe confirmation")
    events = sns.parse_notification(message)
    outcome = await accept(request, sns.NAME, events, delivery_id=str(message.get("MessageId")))
    result = "duplicate" if outcome.redelivery or not outcome.event_ids else "accepted"
    return JSONResponse({"status": result, "events": len(outcome.event_ids)})
