"""Hostile cases for the web edge's own promises: anonymous /health, security headers,
one event per envelope, the key before inflating, and valid-but-odd events that once
crash-looped the worker (each must be processed, its group readable, its actions done)."""

from __future__ import annotations

import base64
import gzip
import json
import uuid
import zlib
from collections.abc import Iterator

import httpx

from autotriage.sources.aws.firehose import MAX_EVENTS as FIREHOSE_MAX_EVENTS
from tests.hostile import payloads
from tests.hostile.corpus import Case, Check, _request
from tests.hostile.payloads import API_TOKEN, DIRTY, PLANTED, TARGETS

BEARER = {"authorization": f"Bearer {API_TOKEN}"}


def _status_only(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return "/health is not JSON"
    if body != {"status": "ok"}:
        return f"anonymous /health says more than its status: {str(body)[:120]}"
    return None


def _headers(response: httpx.Response) -> str | None:
    if response.headers.get("x-content-type-options") != "nosniff":
        return "no X-Content-Type-Options: nosniff"
    html = response.headers.get("content-type", "").startswith("text/html")
    policy = response.headers.get("content-security-policy", "")
    if html and "default-src 'none'" not in policy:
        return f"HTML without a strict Content-Security-Policy ({policy[:60]!r})"
    return None


def _says(text: str) -> Check:
    def check(response: httpx.Response) -> str | None:
        return None if text in response.text else f"the refusal does not say {text!r}"

    return check


def web_edge_cases(key: str) -> Iterator[Case]:
    """/health, headers on every kind of answer, envelopes and /store/ bombs."""
    yield Case("health/anonymous_is_status_only", method="GET", path="/health", check=_status_only)
    yield Case(
        "health/wrong_token_is_status_only",
        method="GET",
        path="/health",
        headers={"authorization": "Bearer wrong"},
        check=_status_only,
    )
    for path, headers in (
        ("/", BEARER),
        ("/groups/999999", BEARER),
        ("/login", {}),
        ("/docs", {}),
        ("/redoc", {}),
        ("/openapi.json", {}),
        ("/api/groups", BEARER),
        ("/api/groups", {}),
        ("/no/such/page", {}),
        ("/health", {}),
    ):
        yield Case(
            f"headers{path.replace('/', '_')}{'_auth' if headers else ''}",
            method="GET",
            path=path,
            headers=headers,
            check=_headers,
            max_store=0,
        )
    envelope = next(t for t in TARGETS if t.name == "sentry_envelope")
    one = payloads.envelope(payloads.sentry_event(DIRTY))
    second = json.dumps(payloads.sentry_event(DIRTY)).encode()
    two = one + json.dumps({"type": "event", "length": len(second)}).encode() + b"\n" + second
    yield Case(
        "sentry_envelope/two_events",
        expect="refuse",
        check=_says("at most 1 event item"),
        **_request(envelope, two, key),
    )
    head, rest = payloads.envelope(payloads.sentry_event(DIRTY)).split(b"\n", 1)
    others = b'{"type":"session"}\n{"sid":"s","status":"ok"}\n{"type":"client_report"}\n{}\n'
    yield Case(
        "sentry_envelope/one_event_among_other_items",
        expect="valid",
        **_request(envelope, head + b"\n" + others + rest, key),
    )
    packer = zlib.compressobj(9)
    zeros = b"\0" * (1 << 20)
    bomb = base64.b64encode(b"".join(packer.compress(zeros) for _ in range(128)) + packer.flush())
    store = next(t for t in TARGETS if t.name == "sentry_store")
    yield Case(
        "sentry_store/base64_zlib_bomb_with_key",
        expect="refuse",
        check=_says("inflates past"),
        **_request(store, bomb, key, **{"content-type": "application/octet-stream"}),
    )


def odd_valid_cases(key: str) -> Iterator[Case]:
    """Valid input that once stalled the worker: each must flow through to its actions."""
    envelope = next(t for t in TARGETS if t.name == "sentry_envelope")
    event = payloads.sentry_event("null lineno with a context line")
    frame = event["exception"]["values"][0]["stacktrace"]["frames"][0]
    frame["lineno"] = None
    frame["context_line"] = "raise HostileError(text)"
    frame["pre_context"] = ["def handle(text):"]
    yield Case(
        "worker/sentry_frame_lineno_null_with_context_line",
        expect="valid",
        settle=True,
        **_request(envelope, payloads.envelope(event), key),
    )
    event = payloads.sentry_event("nul \x00 in the rendered issue")
    event["exception"]["values"][0]["type"] = "Hostile\x00Error"
    event["exception"]["values"][0]["stacktrace"]["frames"][0]["function"] = "han\x00dle"
    event["tags"] = {"nul\x00key": "nul\x00value"}
    yield Case(
        "worker/nul_in_the_rendered_issue",
        expect="valid",
        settle=True,
        **_request(envelope, payloads.envelope(event), key),
    )
    logs = next(t for t in TARGETS if t.name == "otlp_logs")
    doc = payloads.otlp_logs("code.lineno far out of range")
    attributes = doc["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]["attributes"]
    attributes += [
        {"key": "code.lineno", "value": {"doubleValue": -1e20}},
        {"key": "code.filepath", "value": {"stringValue": "app/hostile.py"}},
        {"key": "code.function", "value": {"stringValue": "handle"}},
    ]
    yield Case(
        "worker/otlp_code_lineno_minus_1e20",
        expect="valid",
        settle=True,
        **_request(logs, json.dumps(doc).encode(), key),
    )
    doc = payloads.otlp_logs("code.lineno past int64")
    attributes = doc["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]["attributes"]
    attributes.append({"key": "code.lineno", "value": {"intValue": str(2**63 - 1)}})
    yield Case(
        "worker/otlp_code_lineno_int64_max",
        expect="valid",
        settle=True,
        **_request(logs, json.dumps(doc).encode(), key),
    )
    event = payloads.sentry_event("a release longer than its column")
    event["release"] = "hostile@" + "9" * 300  # once a DataError retried forever
    yield Case(
        "worker/release_300_chars",
        expect="valid",
        settle=True,
        **_request(envelope, payloads.envelope(event), key),
    )
    yield from _amplification_cases()


def _amplification_cases() -> Iterator[Case]:
    """One 2 MB Firehose record of plain error lines once became 150,000 events and
    crashed a background analysis: the delivery stores a bounded number, all processed."""
    firehose = next(t for t in TARGETS if t.name == "firehose")
    lines = "".join(f"ERROR HostileFlood{n % 7}: line {n} failed\n" for n in range(60_000))
    record = base64.b64encode(gzip.compress(lines.encode())).decode()
    doc = {"requestId": str(uuid.uuid4()), "timestamp": 1, "records": [{"data": record}]}
    yield Case(
        "firehose/2mb_record_of_plain_error_lines",
        expect="valid",
        max_store=FIREHOSE_MAX_EVENTS,
        settle=True,
        **_request(firehose, json.dumps(doc).encode(), ""),
    )
    # Records inflating to 15 MiB each: four are read one at a time, seven pass the bound
    # of a delivery (they once peaked at +265 MB, held all at once).
    big = base64.b64encode(gzip.compress(b"INFO all is well\n" * (15 << 16))).decode()
    for count, expect in ((4, "either"), (7, "refuse")):
        doc = {"requestId": str(uuid.uuid4()), "timestamp": 1, "records": [{"data": big}] * count}
        yield Case(
            f"firehose/{count}_records_of_15_mib",
            expect=expect,
            max_store=0,
            **_request(firehose, json.dumps(doc).encode(), ""),
        )


def planted_in_names_cases(key: str) -> Iterator[Case]:
    """Planted secrets where value scrubbing never looks: mapping keys (Sentry tags,
    ``extra``, nested contexts) and the ids deliveries and events are named by. The
    after-run check finds none of them anywhere."""
    envelope = next(t for t in TARGETS if t.name == "sentry_envelope")
    aws, github, password = PLANTED["aws_key"], PLANTED["github_token"], PLANTED["password"]
    event = payloads.sentry_event("secrets in names")
    event["tags"] = {f"k {aws}": "v"}
    event["extra"] = {github: 1, f"password={password}": 2}
    event["contexts"] = {"app": {"deep": {f"creds {aws}": {f"password={password}": 3}}}}
    yield Case(
        "secrets/sentry_tag_extra_and_context_keys",
        expect="valid",
        **_request(envelope, payloads.envelope(event), key),
    )
    event = payloads.sentry_event("secret in the event id")
    event["event_id"] = f"{uuid.uuid4().hex}-{aws}"
    yield Case(
        "secrets/sentry_event_id",
        **_request(envelope, payloads.envelope(event), key),
    )
    for name, field, value in (
        ("generic", "event_id", f"evt-{github}"),
        ("firehose", "requestId", f"{uuid.uuid4()}-{aws}"),
    ):
        target = next(t for t in TARGETS if t.name == name)
        doc = target.valid(f"secret in the {field}")
        doc[field] = value
        yield Case(
            f"secrets/{name}_{field}",
            expect="valid",
            **_request(target, json.dumps(doc).encode(), key),
        )
