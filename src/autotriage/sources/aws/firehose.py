"""Kinesis Data Firehose HTTP-endpoint deliveries of a CloudWatch Logs subscription.

Docs: https://docs.aws.amazon.com/firehose/latest/dev/httpdeliveryrequestresponse.html
(request and response format, ``X-Amz-Firehose-Access-Key``, ``X-Amz-Firehose-Request-Id``)
and https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html
(each record: base64 of gzip of ``{"messageType", "logGroup", "logStream", "logEvents"}``).

Field mapping: records are decoded (base64, then gzip unless already decompressed by a
Firehose processor), ``CONTROL_MESSAGE`` records are skipped, and each ``DATA_MESSAGE``'s
``logEvents`` go through `autotriage.sources.aws.cloudwatch.parse_log_events`, so an error
read both by a scan and by Firehose is stored once (same source, same first ``eventId``),
and a traceback cut between two messages is completed when its tail comes
(`autotriage.sources.aws.tails`).
Common attributes (``X-Amz-Firehose-Common-Attributes``) become tags.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import zlib
from collections.abc import Mapping
from typing import Any

from autotriage.errors import PayloadInvalid, PayloadTooLarge, SignatureInvalid
from autotriage.models import ErrorEvent
from autotriage.sources.aws import cloudwatch
from autotriage.sources.base import load_json, require_object

NAME = cloudwatch.NAME
MAX_INFLATED_BYTES = 32 * 1024 * 1024


def verify(headers: Mapping[str, str], access_key: str | None) -> None:
    """Check ``X-Amz-Firehose-Access-Key`` in constant time (lower-case header names)."""
    if not access_key:
        raise SignatureInvalid("FIREHOSE_ACCESS_KEY is not configured, so deliveries are refused")
    given = headers.get("x-amz-firehose-access-key", "")
    if not hmac.compare_digest(given.encode(), access_key.encode()):
        raise SignatureInvalid("invalid X-Amz-Firehose-Access-Key")


def _inflate(data: bytes, index: int) -> bytes:
    if data[:2] != b"\x1f\x8b":
        return data  # already decompressed by a processor
    inflater = zlib.decompressobj(wbits=47)  # gzip header, bounded output below
    try:
        out = inflater.decompress(data, MAX_INFLATED_BYTES + 1)
    except zlib.error as exc:
        raise PayloadInvalid(f"records[{index}].data is not valid gzip: {exc}") from None
    if len(out) > MAX_INFLATED_BYTES or inflater.unconsumed_tail:
        raise PayloadTooLarge(f"records[{index}] inflates past {MAX_INFLATED_BYTES} bytes")
    return out


def decode_record(record: Any, index: int) -> bytes:
    """A record's payload: base64-decoded and, when gzipped, inflated."""
    if not isinstance(record, dict) or not isinstance(record.get("data"), str):
        raise PayloadInvalid(f"records[{index}].data must be a base64 string")
    try:
        raw = base64.b64decode(record["data"], validate=True)
    except (binascii.Error, ValueError):
        raise PayloadInvalid(f"records[{index}].data is not valid base64") from None
    return _inflate(raw, index)


def _common_attributes(headers: Mapping[str, str]) -> dict[str, str]:
    raw = headers.get("x-amz-firehose-common-attributes")
    if not raw:
        return {}
    try:
        value = json.loads(raw).get("commonAttributes", {})
    except (ValueError, AttributeError):
        return {}
    return {str(k): str(v)[:200] for k, v in value.items()} if isinstance(value, dict) else {}


def _events_of(payload: bytes, index: int, request_id: str) -> list[ErrorEvent]:
    text = payload.decode("utf-8", errors="replace")
    try:
        # load_json also makes lone surrogates and big integers storable.
        message = load_json(payload, what=f"records[{index}]")
    except PayloadInvalid:
        message = None
    if not isinstance(message, dict) or "messageType" not in message:
        # Not a CloudWatch Logs message: plain log lines some other producer sent.
        lines = [line for line in text.splitlines() if line.strip()]
        events = [
            cloudwatch.LogEvent(f"{request_id}:{index}:{n}", "firehose", 0, line)
            for n, line in enumerate(lines)
        ]
        return cloudwatch.parse_log_events("firehose", events)
    if message.get("messageType") == "CONTROL_MESSAGE":
        return []
    if message.get("messageType") != "DATA_MESSAGE":
        raise PayloadInvalid(f"records[{index}].messageType {message.get('messageType')!r}")
    group = str(message.get("logGroup") or "")
    stream = str(message.get("logStream") or "")
    raw_events = message.get("logEvents")
    if not isinstance(raw_events, list):
        raise PayloadInvalid(f"records[{index}].logEvents must be a list")
    events = [
        cloudwatch.LogEvent.from_api(e, stream=stream) for e in raw_events if isinstance(e, dict)
    ]
    # One subscription message holds a batch of one stream's events: a record cut off at
    # its end may be completed by the next message (`autotriage.sources.aws.tails`).
    return cloudwatch.parse_log_events(group, events, joinable=True)


def request_id(payload: Mapping[str, Any], headers: Mapping[str, str]) -> str:
    """The delivery's request id; header and body must agree."""
    header = headers.get("x-amz-firehose-request-id", "")
    body = payload.get("requestId")
    if not isinstance(body, str) or not body:
        raise PayloadInvalid("`requestId` must be a non-empty string")
    if header and header != body:
        raise PayloadInvalid("X-Amz-Firehose-Request-Id does not match `requestId`")
    return body


def parse(body: bytes, headers: Mapping[str, str]) -> list[ErrorEvent]:
    """The errors in a Firehose delivery (every record is decoded before any is used)."""
    payload = require_object(load_json(body))
    rid = request_id(payload, headers)
    records = payload.get("records")
    if not isinstance(records, list):
        raise PayloadInvalid("`records` must be a list")
    decoded = [decode_record(record, i) for i, record in enumerate(records)]
    attributes = _common_attributes(headers)
    out: list[ErrorEvent] = []
    for index, data in enumerate(decoded):
        for event in _events_of(data, index, rid):
            out.append(event.model_copy(update={"tags": {**attributes, **event.tags}}))
    return out


def sniff(body: bytes) -> bool:
    """True for a Firehose delivery body."""
    head = body[:512]
    return b'"requestId"' in head and b'"records"' in body[:4096]
