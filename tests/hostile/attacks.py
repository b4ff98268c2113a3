"""Hostile cases an attacker tries at the HTTP layer and at each protocol's seams, which
the first corpus lacked: smuggling-shaped framing, header and query floods, long URLs,
traversal into the console's static files, look-alike tokens, multipart and nested
compression on JSON routes, envelope lengths that lie, Slack ``url_verification`` and
SNS type confusion.

Raw cases go to a plain socket; ``answers`` bounds how many HTTP answers may come back,
so a second request hidden in a body (request smuggling) that the server answers fails.
"""

from __future__ import annotations

import gzip
import json
import uuid
from collections.abc import Iterator
from urllib.parse import urlencode

import httpx

from tests.hostile import payloads
from tests.hostile.corpus import Case, _request
from tests.hostile.payloads import API_TOKEN, DIRTY, TARGETS, Target

BEARER = {"authorization": f"Bearer {API_TOKEN}"}
SMUGGLED = b"GET /api/groups HTTP/1.1\r\nHost: hostile\r\nAuthorization: Bearer " + (
    API_TOKEN.encode() + b"\r\n\r\n"
)


def _target(name: str) -> Target:
    return next(t for t in TARGETS if t.name == name)


def _raw(path: str, headers: dict[str, str], extra: list[str], body: bytes) -> bytes:
    head = f"POST {path} HTTP/1.1\r\nHost: hostile\r\n" + "".join(
        f"{k}: {v}\r\n" for k, v in headers.items()
    )
    return (head + "".join(f"{line}\r\n" for line in extra) + "\r\n").encode() + body


def framing_cases(key: str) -> Iterator[Case]:
    """Request-smuggling shapes: duplicate or conflicting lengths, obfuscated chunking."""
    generic = _target("generic")
    body = generic.body()
    request = _request(generic, body, key)
    headers = {k: v for k, v in request["headers"].items() if k != "content-length"}
    n = len(body)
    chunked = f"{n:x}\r\n".encode() + body + b"\r\n0\r\n\r\n"
    for label, extra, payload in (
        ("two_content_lengths_equal", [f"Content-Length: {n}", f"Content-Length: {n}"], body),
        ("two_content_lengths_differ", [f"Content-Length: {n}", "Content-Length: 5"], body),
        ("content_length_list", [f"Content-Length: {n}, 5"], body),
        ("content_length_plus", [f"Content-Length: +{n}"], body),
        ("te_and_cl", [f"Content-Length: {n}", "Transfer-Encoding: chunked"], chunked),
        ("cl_then_smuggled", [f"Content-Length: {n}"], body + SMUGGLED),
        ("te_chunked_smuggled", ["Transfer-Encoding: chunked"], chunked + SMUGGLED),
        ("te_and_cl_smuggled", ["Content-Length: 4", "Transfer-Encoding: chunked"],
         b"0\r\n\r\n" + SMUGGLED),
        ("te_obfuscated_space", [f"Content-Length: {n}", "Transfer-Encoding : chunked"], chunked),
        ("te_chunked_identity", [f"Content-Length: {n}", "Transfer-Encoding: chunked, identity"],
         chunked),
        ("te_xchunked", [f"Content-Length: {n}", "Transfer-Encoding: xchunked"], body),
        ("te_twice", ["Transfer-Encoding: chunked", "Transfer-Encoding: identity"], chunked),
        ("chunk_size_overflow", ["Transfer-Encoding: chunked"],
         b"f" * 40 + b"\r\n" + body + b"\r\n0\r\n\r\n"),
        ("chunk_extension_64k", ["Transfer-Encoding: chunked"],
         f"{n:x};".encode() + b"x" * 65536 + b"\r\n" + body + b"\r\n0\r\n\r\n"),
        ("bare_lf_headers", [f"Content-Length: {n}"], body),
    ):  # fmt: skip
        raw = _raw(generic.path, headers, extra, payload)
        if label == "bare_lf_headers":
            head, _, rest = raw.partition(b"\r\n\r\n")
            raw = head.replace(b"\r\n", b"\n") + b"\n\n" + rest
        # A second request after a well-framed body is pipelining, and answered; after an
        # ambiguous framing the server must answer once and close (RFC 9112, 6.1).
        pipelined = label in ("cl_then_smuggled", "te_chunked_smuggled")
        yield Case(f"framing/{label}", raw=raw, max_store=1, answers=2 if pipelined else 1)
        if pipelined or label.startswith("te_and_cl"):
            yield Case(
                f"framing/{label}/kept_open",
                raw=raw,
                max_store=1,
                answers=2 if pipelined else 1,
                half_close=False,
            )


def http09_cases() -> Iterator[Case]:
    """HTTP/0.9 request lines on a connection kept open: half-closed, uvloop drops the
    answer, which once hid that these were answered 200."""
    for path in ("/health", "/api/groups"):
        yield Case(
            f"http09/kept_open{path}",
            raw=f"GET {path}\r\n\r\n".encode(),
            expect="refuse",
            half_close=False,
        )


def flood_cases() -> Iterator[Case]:
    """Header and query floods, very long URLs, look-alike tokens."""
    yield Case(
        "flood/10k_headers",
        method="GET",
        path="/api/groups",
        headers={**BEARER, **{f"x-h{i}": "v" for i in range(10_000)}},
        max_store=0,
    )
    yield Case(
        "flood/one_1mb_header",
        method="GET",
        path="/api/groups",
        headers={**BEARER, "x-big": "v" * (1 << 20)},
        max_store=0,
    )
    yield Case(
        "flood/cookie_64k",
        method="GET",
        path="/groups/1",
        headers={**BEARER, "cookie": "; ".join(f"c{i}=v" for i in range(10_000))},
        max_store=0,
    )
    # Past httpx's URL limits: written to the socket.
    for label, target in (
        ("url_100k_path", "/api/groups/" + "1" * 100_000),
        (
            "query_50k_params",
            "/api/groups?" + "&".join(f"status=open&p{i}=x" for i in range(50_000)),
        ),
        ("query_1mb_value", "/api/groups?q=" + "x" * (1 << 20)),
        ("console_search_1mb", "/?q=" + "%25" * (1 << 18)),
    ):
        raw = f"GET {target} HTTP/1.1\r\nHost: hostile\r\nAuthorization: Bearer {API_TOKEN}\r\n\r\n"
        yield Case(f"flood/{label}", raw=raw.encode(), max_store=0)
    for label, value in (
        ("fullwidth", "Bearer " + API_TOKEN.translate({c: c + 0xFEE0 for c in range(33, 127)})),
        ("nbsp_suffix", f"Bearer {API_TOKEN}\u00a0"),
        ("ideographic_space", f"Bearer\u3000{API_TOKEN}"),
        ("cyrillic_o", "Bearer " + API_TOKEN.replace("o", "\u043e", 1)),
        ("combining", "Bearer " + API_TOKEN.replace("e", "e\u0301", 1)),
        ("latin1_bytes", "Bearer " + API_TOKEN.replace("o", "\u00f6", 1)),
    ):
        raw = b"GET /api/groups HTTP/1.1\r\nHost: hostile\r\nConnection: close\r\n"
        yield Case(
            f"auth/unicode_token/{label}",
            raw=raw + b"Authorization: " + value.encode() + b"\r\n\r\n",
            expect="refuse",
            half_close=False,
        )


def traversal_cases() -> Iterator[Case]:
    """The console's static files and pages, asked for files outside them."""
    for path in (
        "/static/console/../../config.py",
        "/static/console/%2e%2e/%2e%2e/%2e%2e/config.py",
        "/static/console/..%2f..%2f..%2fconfig.py",
        "/static/console/%252e%252e/%252e%252e/config.py",
        "/static/console/..\\..\\..\\config.py",
        "/static/console/console.css%00.py",
        "/static/console//etc/passwd",
        "/static/console/%2fetc%2fpasswd",
        "/static/console/....//....//config.py",
        "/static/console/../templates/base.html",
        "/groups/..%2f..%2fapi%2fgroups",
    ):
        yield Case(
            f"traversal{path}",
            method="GET",
            path=path,
            headers=BEARER,
            max_store=0,
            check=_no_source,
        )
    many = ",".join(f"{i}-{i}" for i in range(5000))
    yield Case(
        "traversal/static_5000_ranges",
        method="GET",
        path="/static/console/console.css",
        headers={"range": f"bytes={many}"},
        max_store=0,
    )


def console_form_cases() -> Iterator[Case]:
    """The console's forms: a body far past their limit (the login form needs no session),
    and where the login sends its visitor afterwards."""
    for path in ("/login", "/logout", "/console/bulk"):
        head = (
            f"POST {path} HTTP/1.1\r\nHost: hostile\r\nConnection: close\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {1 << 30}\r\n\r\n"
        )
        yield Case(
            f"console{path.replace('/', '_')}/declares_1gib",
            raw=head.encode() + b"token=x&" * 8192,
            expect="refuse",
            half_close=False,
        )
    for target in (
        "//evil.example/",
        "/\\evil.example",
        "/\t/evil.example",
        "https://evil.example",
    ):
        body = urlencode({"token": API_TOKEN, "next": target}).encode()
        yield Case(
            f"console/login_next/{target.encode('unicode_escape').decode()}",
            method="POST",
            path="/login",
            headers={"content-type": "application/x-www-form-urlencoded"},
            body=body,
            max_store=0,
            check=_stays_here,
        )


def _stays_here(response: httpx.Response) -> str | None:
    location = response.headers.get("location", "")
    # A browser drops raw tabs and newlines from a URL ("/\t/x" is "//x"), not encoded ones.
    raw = any(c in location for c in "\t\r\n")
    if not location.startswith("/") or location.startswith(("//", "/\\")) or raw:
        return f"the login sends its visitor to {location[:60]!r}"
    return None


def _no_source(response: httpx.Response) -> str | None:
    text = response.text
    for leak in ("from __future__", "root:x:0:0", "{% block", "pydantic"):
        if leak in text:
            return f"served a file outside the static folder ({leak!r})"
    return None


def body_shape_cases(key: str) -> Iterator[Case]:
    """Multipart and nested compression on JSON routes; BOMs and other charsets."""
    for name in ("generic", "sentry_store", "otlp_logs"):
        target = _target(name)
        body = target.body()
        boundary = uuid.uuid4().hex
        multipart = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.json"'
                f"\r\nContent-Type: application/json\r\n\r\n"
            ).encode()
            + body
            + f"\r\n--{boundary}--\r\n".encode()
        )
        yield Case(
            f"{name}/multipart_on_json",
            **_request(target, multipart, key,
                       **{"content-type": f"multipart/form-data; boundary={boundary}"}),
        )  # fmt: skip
        yield Case(
            f"{name}/utf16_json",
            **_request(target, body.decode().encode("utf-16"), key,
                       **{"content-type": "application/json; charset=utf-16"}),
        )  # fmt: skip
        yield Case(f"{name}/utf8_bom", **_request(target, b"\xef\xbb\xbf" + body, key))
        if target.needs_key:
            twice = gzip.compress(gzip.compress(body))
            yield Case(
                f"{name}/gzip_of_gzip_one_header",
                expect="refuse",
                **_request(target, twice, key, **{"content-encoding": "gzip"}),
            )
            yield Case(
                f"{name}/gzip_of_gzip_two_headers",
                **_request(target, twice, key, **{"content-encoding": "gzip, gzip"}),
            )
            bomb = gzip.compress(gzip.compress(b"\0" * (256 << 20), 9), 9)
            yield Case(
                f"{name}/gzip_of_gzip_bomb_two_headers",
                expect="refuse",
                **_request(target, bomb, key, **{"content-encoding": "gzip, gzip"}),
            )


def nested_type_cases(key: str) -> Iterator[Case]:
    """Wrong JSON types below the top level of the OTLP documents (the fuzzer's find)."""
    traces, logs = _target("otlp_traces"), _target("otlp_logs")
    for label, value in (("int", 5), ("bigint", 2**70), ("string", "exception"), ("object", {})):
        doc = payloads.otlp_traces(DIRTY)
        doc["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["events"] = value
        yield Case(
            f"otlp_traces/span_events/{label}", **_request(traces, json.dumps(doc).encode(), key)
        )
        doc = payloads.otlp_traces(DIRTY)
        doc["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["status"] = value
        yield Case(
            f"otlp_traces/span_status/{label}", **_request(traces, json.dumps(doc).encode(), key)
        )
        doc = payloads.otlp_logs(DIRTY)
        doc["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]["attributes"] = value
        yield Case(
            f"otlp_logs/record_attributes/{label}", **_request(logs, json.dumps(doc).encode(), key)
        )
        doc = payloads.otlp_logs(DIRTY)
        doc["resourceLogs"][0]["resource"] = {
            "attributes": [{"key": "service.name", "value": value}]
        }
        yield Case(
            f"otlp_logs/resource_value/{label}", **_request(logs, json.dumps(doc).encode(), key)
        )


def time_cases(key: str) -> Iterator[Case]:
    """Times past every calendar, in each source's own time field."""
    for label, value in (
        ("past_fixed64", str(2**64)),
        ("year_10000_ns", "253402300799999983616"),
        ("huge_float", 1e300),
        ("negative", -(10**20)),
    ):
        doc = payloads.otlp_logs(DIRTY)
        doc["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]["timeUnixNano"] = value
        logs = _target("otlp_logs")
        yield Case(f"otlp_logs/time/{label}", **_request(logs, json.dumps(doc).encode(), key))
        doc = payloads.otlp_traces(DIRTY)
        doc["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["events"][0]["timeUnixNano"] = value
        traces = _target("otlp_traces")
        yield Case(f"otlp_traces/time/{label}", **_request(traces, json.dumps(doc).encode(), key))
    for label, value in (
        ("huge_float", 1e300),
        ("bigint", 2**70),
        ("negative", -1e20),
        ("year_9999", "9999-12-31T23:59:59.999999Z"),
        ("year_0", "0000-01-01T00:00:00Z"),
        ("year_275760", "+275760-09-13T00:00:00Z"),
    ):
        for name, field in (("generic", "timestamp"), ("sentry_store", "timestamp")):
            target = _target(name)
            doc = target.valid(DIRTY)
            doc[field] = value
            body = json.dumps(doc).encode()
            yield Case(f"{name}/time/{label}", **_request(target, body, key))


def dsn_project_cases(key: str) -> Iterator[Case]:
    """The DSN routes' project id in the path: past int64, another project, the envelope's
    own ``dsn`` naming another key or project."""
    event = payloads.sentry_event(DIRTY)
    body = payloads.envelope(event)
    auth = {"x-sentry-auth": f"Sentry sentry_version=7, sentry_key={key}"}
    headers = {"content-type": "application/x-sentry-envelope", **auth}
    for label, project in (
        ("int64_max_plus_1", str(2**63)),
        ("past_2_64", str(10**30)),
        ("zero", "0"),
        ("another_project", "2"),
        ("leading_zeros", "0001"),
    ):
        for route in ("envelope", "store"):
            content = body if route == "envelope" else json.dumps(event).encode()
            yield Case(
                f"sentry_{route}/project_id/{label}",
                path=f"/api/{project}/{route}/",
                headers=headers
                if route == "envelope"
                else {**headers, "content-type": "application/json"},
                body=content,
                expect="either" if label == "leading_zeros" else "refuse",
            )
    head, rest = body.split(b"\n", 1)
    # The key authenticates and the path names the project: a dsn naming another project
    # with a key of this one is this project's (either answer holds; never a 5xx).
    for label, dsn, expect in (
        ("other_key", f"http://{'0' * 32}@hostile/1", "refuse"),
        ("other_project", f"http://{key}@hostile/2", "either"),
        ("not_a_url", "::::", "refuse"),
    ):
        header = json.loads(head)
        header["dsn"] = dsn
        yield Case(
            f"sentry_envelope/header_dsn/{label}",
            path="/api/1/envelope/",
            headers={"content-type": "application/x-sentry-envelope"},
            body=json.dumps(header).encode() + b"\n" + rest,
            expect=expect,
        )


def envelope_length_cases(key: str) -> Iterator[Case]:
    """Sentry envelope item headers whose ``length`` lies about the payload."""
    target = _target("sentry_envelope")
    event = json.dumps(payloads.sentry_event(DIRTY)).encode()
    head = json.dumps({"event_id": uuid.uuid4().hex}).encode() + b"\n"

    def item(length: object, payload: bytes = event) -> bytes:
        return json.dumps({"type": "event", "length": length}).encode() + b"\n" + payload

    for label, body in (
        ("length_short", head + item(len(event) // 2) + b"\n"),
        ("length_into_next_item", head + item(len(event) + 30) + b"\n" + item(len(event))),
        ("length_string", head + item(str(len(event))) + b"\n"),
        ("length_float", head + item(len(event) + 0.5) + b"\n"),
        ("length_2_64", head + item(2**64) + b"\n"),
        ("length_zero", head + item(0) + b"\n"),
        ("length_null", head + item(None) + b"\n"),
        ("length_true", head + item(True) + b"\n"),
        ("length_exact_no_newline", head + item(len(event))),
        ("hidden_second_event", head + item(len(event) + 1 + len(item(len(event))),
                                            event + b"\n" + item(len(event)))),
    ):  # fmt: skip
        yield Case(f"sentry_envelope/{label}", **_request(target, body, key))


def protocol_cases() -> Iterator[Case]:
    """Slack ``url_verification`` abuse and SNS message-type confusion."""
    slack = _target("slack_event")
    for label, doc in (
        ("script_challenge", {"type": "url_verification", "challenge": "<script>x</script>"}),
        ("object_challenge", {"type": "url_verification", "challenge": {"a": 1}}),
        ("huge_challenge", {"type": "url_verification", "challenge": "c" * 60_000}),
        ("type_list", {"type": ["url_verification"], "challenge": "c"}),
    ):
        body = json.dumps(doc).encode()
        yield Case(f"slack_event/url_verification/{label}", max_store=0,
                   check=_not_html, **_request(slack, body, ""))  # fmt: skip
        yield Case(
            f"slack_event/url_verification/{label}/unsigned",
            path=slack.path,
            headers={"content-type": "application/json"},
            body=body,
            expect="refuse",
        )
    sns = _target("sns")
    for label, header, kind in (
        ("header_notification_body_subscribe", "Notification", "SubscriptionConfirmation"),
        ("header_subscribe_body_notification", "SubscriptionConfirmation", "Notification"),
        ("unsubscribe", "UnsubscribeConfirmation", "UnsubscribeConfirmation"),
        ("unknown_type", "Notification", "Bogus"),
        ("lowercase_type", "notification", "notification"),
        ("no_header", "", "SubscriptionConfirmation"),
    ):
        doc = payloads.sns(DIRTY)
        doc["Type"] = kind
        doc["SubscribeURL"] = "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription"
        doc["Token"] = "t" * 64
        headers = {"content-type": sns.content_type}
        if header:
            headers["x-amz-sns-message-type"] = header
        yield Case(
            f"sns/type_confusion/{label}",
            path=sns.path,
            headers=headers,
            body=json.dumps(doc).encode(),
            expect="refuse",
        )


def _not_html(response: httpx.Response) -> str | None:
    kind = response.headers.get("content-type", "")
    if "<script" in response.text and not kind.startswith(("text/plain", "application/json")):
        return f"the challenge is echoed as {kind!r}"
    return None


def attack_cases(key: str) -> Iterator[Case]:
    """Every case of this module, in a stable order."""
    yield from framing_cases(key)
    yield from http09_cases()
    yield from flood_cases()
    yield from traversal_cases()
    yield from console_form_cases()
    yield from body_shape_cases(key)
    yield from nested_type_cases(key)
    yield from time_cases(key)
    yield from dsn_project_cases(key)
    yield from envelope_length_cases(key)
    yield from protocol_cases()
