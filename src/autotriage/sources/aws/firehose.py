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

Bounds (a small gzip record can hold millions of lines): each record inflates to at most
`MAX_INFLATED_BYTES`, a delivery to `MAX_DELIVERY_INFLATED_BYTES` (413 past either);
records are decoded one at a time, so only one is held inflated. At most
`MAX_LOG_EVENTS` log events (or plain lines) of a record are read, CloudWatch's own cap
on one batch, and a delivery stores at most `MAX_EVENTS` errors; what lies past a bound is
not read, and the last event stored says so (``contexts.firehose.unread``).
`read_delivery` also tallies it (`Unread`: lines, errors and whole records), for the
``autotriage_unread_total`` counter, and logs one warning per such delivery with its
request id and the counts (never the payload's text).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from autotriage.errors import PayloadInvalid, PayloadTooLarge, SignatureInvalid
from autotriage.models import ErrorEvent
from autotriage.sources.aws import cloudwatch
from autotriage.sources.base import load_json, require_object
from autotriage.understanding.scrub import scrub_text

log = logging.getLogger(__name__)

NAME = cloudwatch.NAME
MAX_INFLATED_BYTES = 16 * 1024 * 1024
"""Per record. CloudWatch Logs caps one batch at 1 MiB of messages; JSON adds little."""
MAX_DELIVERY_INFLATED_BYTES = 64 * 1024 * 1024
MAX_LOG_EVENTS = 10_000
"""Log events (or plain lines) read per record: a PutLogEvents batch holds no more."""
MAX_EVENTS = 500
"""Errors stored per delivery: one record of plain error lines once became 150,000."""
SHOWN_ID = 80
"""Characters of a request id a log line shows (it is the sender's text); one holding a
secret is shown as a digest instead, since a cut secret is no longer recognised."""


@dataclass(slots=True)
class Unread:
    """What a delivery held past the bounds: acknowledged, never read."""

    lines: int = 0
    """Log events, or plain lines (blank ones included), past `MAX_LOG_EVENTS` in a record."""
    errors: int = 0
    """Errors found past the first `MAX_EVENTS` of the delivery."""
    records: int = 0
    """Records not read at all, once `MAX_EVENTS` errors were found before them."""
    notes: list[str] = field(default_factory=list)
    """Where, in words (``contexts.firehose.unread`` on the last event stored)."""

    def __bool__(self) -> bool:
        return bool(self.lines or self.errors or self.records)

    def counts(self) -> dict[str, int]:
        """The tally by unit (what the counter's ``unit`` label says)."""
        return {"lines": self.lines, "errors": self.errors, "records": self.records}


@dataclass(frozen=True, slots=True)
class Delivery:
    """A delivery read within the bounds: its request id, its errors, what was left."""

    request_id: str
    events: list[ErrorEvent]
    unread: Unread


def verify(headers: Mapping[str, str], access_key: str | None) -> None:
    """Check ``X-Amz-Firehose-Access-Key`` in constant time (lower-case header names)."""
    if not access_key:
        raise SignatureInvalid("FIREHOSE_ACCESS_KEY is not configured, so deliveries are refused")
    given = headers.get("x-amz-firehose-access-key", "")
    if not hmac.compare_digest(given.encode(), access_key.encode()):
        raise SignatureInvalid("invalid X-Amz-Firehose-Access-Key")


def _inflate(data: bytes, index: int, limit: int) -> bytes:
    if data[:2] != b"\x1f\x8b":  # already decompressed by a processor
        if len(data) > limit:
            raise PayloadTooLarge(f"records[{index}] holds more than {limit} bytes")
        return data
    inflater = zlib.decompressobj(wbits=47)  # gzip header, bounded output below
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        raise PayloadInvalid(f"records[{index}].data is not valid gzip: {exc}") from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise PayloadTooLarge(f"records[{index}] inflates past {limit} bytes")
    return out


def decode_record(record: Any, index: int, limit: int = MAX_INFLATED_BYTES) -> bytes:
    """A record's payload: base64-decoded and, when gzipped, inflated (up to `limit`)."""
    if not isinstance(record, dict) or not isinstance(record.get("data"), str):
        raise PayloadInvalid(f"records[{index}].data must be a base64 string")
    try:
        raw = base64.b64decode(record["data"], validate=True)
    except (binascii.Error, ValueError):
        raise PayloadInvalid(f"records[{index}].data is not valid base64") from None
    return _inflate(raw, index, limit)


def _common_attributes(headers: Mapping[str, str]) -> dict[str, str]:
    raw = headers.get("x-amz-firehose-common-attributes")
    if not raw:
        return {}
    try:
        value = json.loads(raw).get("commonAttributes", {})
    except (ValueError, AttributeError):
        return {}
    return {str(k): str(v)[:200] for k, v in value.items()} if isinstance(value, dict) else {}


def _plain_lines(payload: bytes) -> tuple[list[str], int]:
    """A record's first `MAX_LOG_EVENTS` non-blank lines, and how many lines were left."""
    lines: list[str] = []
    start = 0
    while len(lines) < MAX_LOG_EVENTS and start < len(payload):
        end = payload.find(b"\n", start)
        end = len(payload) if end < 0 else end
        line = payload[start:end].decode("utf-8", errors="replace").rstrip("\r")
        if line.strip():
            lines.append(line)
        start = end + 1
    rest = payload[start:]
    if not rest.strip():
        return lines, 0
    return lines, rest.count(b"\n") + (not rest.endswith(b"\n"))


def _events_of(payload: bytes, index: int, request_id: str) -> tuple[list[ErrorEvent], int]:
    """The errors of one record, and how many of its lines were left unread."""
    try:
        # load_json also makes lone surrogates and big integers storable.
        message = load_json(payload, what=f"records[{index}]")
    except PayloadInvalid:
        message = None
    if not isinstance(message, dict) or "messageType" not in message:
        # Not a CloudWatch Logs message: plain log lines some other producer sent.
        lines, unread = _plain_lines(payload)
        events = [
            cloudwatch.LogEvent(f"{request_id}:{index}:{n}", "firehose", 0, line)
            for n, line in enumerate(lines)
        ]
        return cloudwatch.parse_log_events("firehose", events), unread
    if message.get("messageType") == "CONTROL_MESSAGE":
        return [], 0
    if message.get("messageType") != "DATA_MESSAGE":
        raise PayloadInvalid(f"records[{index}].messageType {message.get('messageType')!r}")
    group = str(message.get("logGroup") or "")
    stream = str(message.get("logStream") or "")
    raw_events = message.get("logEvents")
    if not isinstance(raw_events, list):
        raise PayloadInvalid(f"records[{index}].logEvents must be a list")
    events = [
        cloudwatch.LogEvent.from_api(e, stream=stream)
        for e in raw_events[:MAX_LOG_EVENTS]
        if isinstance(e, dict)
    ]
    # One subscription message holds a batch of one stream's events: a record cut off at
    # its end may be completed by the next message (`autotriage.sources.aws.tails`).
    unread = max(0, len(raw_events) - MAX_LOG_EVENTS)
    return cloudwatch.parse_log_events(group, events, joinable=not unread), unread


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
    """The errors in a Firehose delivery; a bad record anywhere refuses all of it.

    Records are decoded and read one at a time (only one is held inflated), within the
    bounds the module docstring lists (`read_delivery` also says what was left).
    """
    return read_delivery(body, headers).events


def read_delivery(body: bytes, headers: Mapping[str, str]) -> Delivery:
    """`parse`, with the request id and the tally of what lay past the bounds.

    A delivery that left something unread is logged as a warning: its request id (cut
    to `SHOWN_ID` characters, or a digest if it holds a secret) and the counts, none of
    its text.
    """
    payload = require_object(load_json(body))
    rid = request_id(payload, headers)
    records = payload.get("records")
    if not isinstance(records, list):
        raise PayloadInvalid("`records` must be a list")
    attributes = _common_attributes(headers)
    out: list[ErrorEvent] = []
    budget = MAX_DELIVERY_INFLATED_BYTES
    unread = Unread()
    for index, record in enumerate(records):
        try:
            data = decode_record(record, index, min(MAX_INFLATED_BYTES, budget))
        except PayloadTooLarge:
            if budget >= MAX_INFLATED_BYTES:
                raise
            total = MAX_DELIVERY_INFLATED_BYTES
            raise PayloadTooLarge(f"the records inflate past {total} bytes together") from None
        budget -= len(data)
        if len(out) >= MAX_EVENTS:
            if not unread.records:
                unread.notes.append(f"records from [{index}] on: {MAX_EVENTS} errors were found")
            unread.records += 1
            continue  # still decoded: a bad record later refuses the delivery
        events, cut = _events_of(data, index, rid)
        if cut:
            unread.lines += cut
            unread.notes.append(f"records[{index}] past {MAX_LOG_EVENTS} lines")
        out += [e.model_copy(update={"tags": {**attributes, **e.tags}}) for e in events]
    if len(out) > MAX_EVENTS:
        unread.errors = len(out) - MAX_EVENTS
        out = out[:MAX_EVENTS]
        unread.notes.append(f"errors past the first {MAX_EVENTS}")
    if unread.notes and out:
        last = out[-1]
        note = {"firehose": {"unread": unread.notes[:20]}}
        out[-1] = last.model_copy(update={"contexts": {**last.contexts, **note}})
    if unread:
        _warn(rid, unread)
    return Delivery(rid, out, unread)


def _shown(rid: str) -> str:
    if scrub_text(rid) != rid:
        return "sha256:" + hashlib.sha256(rid.encode("utf-8", "surrogatepass")).hexdigest()
    return rid[:SHOWN_ID]


def _warn(rid: str, unread: Unread) -> None:
    left = ", ".join(f"{n} {unit}" for unit, n in unread.counts().items() if n)
    log.warning(
        "Firehose delivery %r was acknowledged with %s left unread past the bounds "
        "(%d lines a record, %d errors a delivery)",
        _shown(rid),
        left,
        MAX_LOG_EVENTS,
        MAX_EVENTS,
        extra={"source": "firehose"},
    )


def sniff(body: bytes) -> bool:
    """True for a Firehose delivery body."""
    head = body[:512]
    return b'"requestId"' in head and b'"records"' in body[:4096]
