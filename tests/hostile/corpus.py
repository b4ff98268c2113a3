"""The hostile cases: each is one request (or raw bytes) and what a sound server does with it.

``expect`` says which answers hold: ``refuse`` (a 4xx with a reason), ``valid`` (a 2xx; the
input is valid) or ``either`` (a 4xx, or a 2xx that stores at most ``max_store`` events).
Every case also holds to the rules the runner checks for all: no 5xx, no traceback,
nothing stored when refused, bounded memory, a healthy server afterwards.
"""

from __future__ import annotations

import base64
import gzip
import json
import time
import uuid
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import brotli
import httpx
import zstandard

from tests.hostile import payloads
from tests.hostile.payloads import API_TOKEN, DIRTY, TARGETS, Target

Check = Callable[[httpx.Response], "str | None"]

MAX_BODY = 64 * 1024
INGEST_MAX_BODY = 256 * 1024
INGEST_MAX_INFLATED = 1024 * 1024
SERVER_LIMITS = {
    "MAX_BODY_BYTES": str(MAX_BODY),
    "INGEST_MAX_BODY_BYTES": str(INGEST_MAX_BODY),
    "INGEST_MAX_INFLATED_BYTES": str(INGEST_MAX_INFLATED),
}
EVIL = "evil.example"
LARGE_LIMITS = frozenset({"firehose", "github"})
TIMED = frozenset({"generic", "slack_event", "slack_command", "sentry_hook"})
"""Targets whose signature covers a timestamp that must be fresh."""
XSS = '<script>alert("hostile-xss")</script><img src=x onerror=alert(1)>'


@dataclass
class Case:
    """One hostile request and the answers that hold."""

    name: str
    method: str = "POST"
    path: str = "/"
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    params: dict[str, str] | None = None
    raw: bytes | None = None
    """Bytes written to a plain socket instead of an HTTP request."""
    expect: str = "either"
    max_store: int = 1
    check: Check | None = None
    heavy: bool = False
    settle: bool = False
    """Wait for what it stored to be processed: grouped, readable, its actions finished."""
    answers: int = 1
    """For `raw`: how many HTTP answers may come back (more means a hidden request ran)."""
    half_close: bool = True
    """For `raw`: shut the socket's sending side after the bytes (else wait for answers)."""


def _key_headers(target: Target, key: str) -> dict[str, str]:
    if target.name.startswith("sentry_"):
        return {"x-sentry-auth": f"Sentry sentry_version=7, sentry_key={key}"}
    return {"authorization": f"Bearer {key}"}


def _request(target: Target, body: bytes, key: str, **extra: str) -> dict[str, Any]:
    headers = {"content-type": target.content_type, **target.sign(body)}
    if target.needs_key:
        headers.update(_key_headers(target, key))
    headers.update(extra)
    return {"path": target.path, "headers": headers, "body": body}


class _Deep:
    """A marker json.dumps can't write; `_dumps` writes it as `depth` nested lists."""

    def __init__(self, depth: int) -> None:
        self.depth = depth


_DEEP_MARK = "__hostile_deep__"


def _dumps(doc: Any, **options: Any) -> bytes:
    def default(value: Any) -> Any:
        if isinstance(value, _Deep):
            return f"{_DEEP_MARK}{value.depth}"
        raise TypeError(type(value).__name__)

    text = json.dumps(doc, default=default, **options)
    while _DEEP_MARK in text:
        start = text.index(f'"{_DEEP_MARK}')
        end = text.index('"', start + 1)
        depth = int(text[start + 1 + len(_DEEP_MARK) : end])
        text = text[:start] + "[" * depth + "]" * depth + text[end + 1 :]
    return text.encode()


def _json_cases(target: Target, key: str) -> Iterator[Case]:
    """Malformed bodies and shapes, signed so they reach the parser."""
    name = target.name

    def case(kind: str, body: bytes, expect: str = "either", **more: Any) -> Case:
        return Case(f"{name}/{kind}", expect=expect, **_request(target, body, key), **more)

    yield case("empty", b"", "refuse")
    yield case("invalid_json", b'{"message": "unterminated', "refuse")
    yield case("not_an_object", b"[1, 2, 3]", "refuse")
    yield case("invalid_utf8", target.body("bad \xff").replace(b"\\u00ff", b"\xff\xfe"))
    yield case("lone_surrogate", target.body("lone \ud800 surrogate"))
    yield case("reversed_surrogates", target.body("rev \udc00\ud800 pair"))
    yield case("cesu8", target.body("cesu \u00e9").replace(b"\\u00e9", b"\xed\xa0\x80\xed\xb0\x80"))
    yield case("nul", target.body("nul \x00 byte"))
    yield case("xss", target.body(f"{XSS} {DIRTY}"))
    if target.name in {"slack_command", "sentry_envelope"}:
        return
    doc = target.valid(DIRTY)
    yield case("bigint_extra", _dumps({**doc, "extra": {"n": 2**70}}))
    yield case("nan_next_to_bigint", _dumps({**doc, "extra": {"n": 2**70, "x": float("nan")}}))
    yield case("infinity", _dumps({**doc, "extra": {"x": float("inf")}}))
    yield case("deep_100k", _dumps({**doc, "extra": _Deep(100_000)}))
    for fname in target.fields:
        for label, value in (
            ("int", 12345),
            ("bigint", 2**70),
            ("neg_bigint", -(2**80)),
            ("float", -1e20),
            ("str", "x"),
            ("list", [1, {"a": None}]),
            ("object", {"a": [1]}),
            ("null", None),
            ("bool", True),
            ("deep", _Deep(100_000)),
        ):
            yield case(f"type/{fname}/{label}", _dumps({**doc, fname: value}))
    # Past every webhook limit, but within GitHub's 25 MiB and Firehose's 16 MiB.
    big = "either" if target.name in LARGE_LIMITS else "refuse"
    yield case("string_10mb", target.body("x" * (10 * 1024 * 1024)), big)


def _limit(target: Target) -> int:
    if target.needs_key:
        return INGEST_MAX_BODY
    return MAX_BODY


def _limit_cases(target: Target, key: str) -> Iterator[Case]:
    if target.name in LARGE_LIMITS:
        return  # their own larger limits (Firehose 16 MiB, GitHub 25 MiB)
    base = target.body()
    for label, size in (("just_over", _limit(target) + 1), ("far_over", _limit(target) * 8)):
        padded = base + b" " * (size - len(base))
        yield Case(f"{target.name}/limit/{label}", expect="refuse", **_request(target, padded, key))
    request = _request(target, base, key)
    head = f"POST {target.path} HTTP/1.1\r\nHost: hostile\r\n" + "".join(
        f"{k}: {v}\r\n" for k, v in request["headers"].items()
    )
    lying = f"{head}Content-Length: {_limit(target) * 100}\r\n\r\n".encode() + base
    yield Case(f"{target.name}/limit/lying_content_length", raw=lying, expect="refuse")


def _signature_cases(target: Target, key: str) -> Iterator[Case]:
    body = target.body()
    name = target.name
    if target.sign is not payloads.sign_none:
        good = target.sign(body)
        yield Case(
            f"{name}/sig/missing",
            path=target.path,
            headers={"content-type": target.content_type},
            body=body,
            expect="refuse",
        )
        forged = {
            k: (v[:-4] + "beef" if "sign" in k or "key" in k or "token" in k else v)
            for k, v in good.items()
        }
        yield Case(
            f"{name}/sig/forged",
            path=target.path,
            headers={"content-type": target.content_type, **forged},
            body=body,
            expect="refuse",
        )
        if name in TIMED:
            yield Case(
                f"{name}/sig/stale_timestamp",
                path=target.path,
                headers={
                    "content-type": target.content_type,
                    **target.sign(body, time.time() - 3600),
                },
                body=body,
                expect="refuse",
            )
    if target.needs_key:
        yield Case(
            f"{name}/key/missing",
            path=target.path,
            headers={"content-type": target.content_type},
            body=body,
            expect="refuse",
        )
        yield Case(f"{name}/key/wrong", expect="refuse", **_request(target, body, key + "x"))


def _bomb(codec: str, size: int) -> bytes:
    chunk = b"\0" * (1024 * 1024)
    if codec == "gzip":
        out = zlib.compressobj(9, zlib.DEFLATED, 31)
    elif codec == "deflate":
        out = zlib.compressobj(9)
    elif codec == "br":
        compressor = brotli.Compressor(quality=1)
        parts = [compressor.process(chunk) for _ in range(size // len(chunk))]
        return b"".join(parts) + compressor.finish()
    else:
        compressor = zstandard.ZstdCompressor(level=1).compressobj()
        parts = [compressor.compress(chunk) for _ in range(size // len(chunk))]
        return b"".join(parts) + compressor.flush()
    parts = [out.compress(chunk) for _ in range(size // len(chunk))]
    return b"".join(parts) + out.flush()


def compression_cases(
    key: str, inflated: int = 64 * 1024 * 1024, heavy: bool = False
) -> Iterator[Case]:
    """Bombs and lying encodings on the routes that inflate (DSN, OTLP)."""
    for target in (t for t in TARGETS if t.needs_key):
        for codec in ("gzip", "deflate", "br", "zstd"):
            yield Case(
                f"{target.name}/bomb/{codec}",
                expect="refuse",
                heavy=heavy,
                **_request(target, _bomb(codec, inflated), key, **{"content-encoding": codec}),
            )
        plain = target.body()
        for label, encoding, body in (
            ("gzip_on_plain", "gzip", plain),
            ("br_on_gzip", "br", gzip.compress(plain)),
            ("zstd_on_junk", "zstd", b"\x28\xb5\x2f\xfd junk"),
            ("double_gzip_header", "gzip, gzip", gzip.compress(plain)),
            ("unknown_encoding", "compress", plain),
        ):
            yield Case(
                f"{target.name}/encoding/{label}",
                expect="refuse",
                **_request(target, body, key, **{"content-encoding": encoding}),
            )
    # /store/ takes base64 of zlib without a Content-Encoding: cap it before the key check.
    blob = base64.b64encode(_bomb("deflate", inflated))
    yield Case(
        "sentry_store/base64_zlib_bomb_without_key",
        path="/api/1/store/",
        headers={"content-type": "application/octet-stream"},
        body=blob,
        expect="refuse",
        heavy=heavy,
    )


def _envelope_cases(key: str) -> Iterator[Case]:
    target = next(t for t in TARGETS if t.name == "sentry_envelope")
    events = [payloads.sentry_event(DIRTY) for _ in range(10_000)]
    many = json.dumps({"event_id": events[0]["event_id"]}).encode() + b"\n"
    for event in events:
        item = json.dumps(event).encode()
        many += json.dumps({"type": "event", "length": len(item)}).encode() + b"\n" + item + b"\n"
    # Sentry's spec: one event per envelope; more is refused with the reason.
    yield Case("sentry_envelope/10k_events", expect="refuse", **_request(target, many, key))
    unknown = b"{}\n" + b"".join(
        json.dumps({"type": f"kind{i}-{uuid.uuid4().hex}", "length": 1}).encode() + b"\nx\n"
        for i in range(2000)
    )
    yield Case(
        "sentry_envelope/2k_unknown_item_types", max_store=0, **_request(target, unknown, key)
    )
    bad_length = b'{}\n{"type":"event","length":99999999}\n{}\n'
    yield Case("sentry_envelope/lying_item_length", **_request(target, bad_length, key))
    yield Case(
        "sentry_envelope/negative_length",
        **_request(target, b'{}\n{"type":"event","length":-5}\n{}\n', key),
    )
    yield Case(
        "sentry_envelope/header_bigint",
        **_request(target, b'{"event_id":1' + b"0" * 30 + b"}\n", key),
    )


def _no_header(name: str, forbidden: str) -> Check:
    def check(response: httpx.Response) -> str | None:
        value = response.headers.get(name)
        if value is not None and forbidden in value:
            return f"{name}: {value[:80]}"
        return None

    return check


def _no_acao(response: httpx.Response) -> str | None:
    value = response.headers.get("access-control-allow-origin")
    return f"access-control-allow-origin: {value}" if value else None


def web_cases() -> Iterator[Case]:
    """Auth, ids, CORS, Host, HTTP/0.9 and echoed headers on the read side."""
    bearer = {"authorization": f"Bearer {API_TOKEN}"}
    protected = [
        ("GET", "/api/groups"),
        ("GET", "/api/groups/1"),
        ("GET", "/api/scans"),
        ("POST", "/trigger-scan"),
        ("GET", "/"),
        ("GET", "/groups/1"),
        ("GET", "/metrics"),
    ]
    basic = base64.b64encode(f"admin:{API_TOKEN}x".encode()).decode()
    for method, path in protected:
        slug = path.strip("/").replace("/", "_") or "dashboard"
        tries: list[tuple[str, dict[str, str], dict[str, str] | None]] = [
            ("none", {}, None),
            ("wrong_bearer", {"authorization": f"Bearer {API_TOKEN}x"}, None),
            ("prefix_bearer", {"authorization": f"Bearer {API_TOKEN[:-1]}"}, None),
            ("empty_bearer", {"authorization": "Bearer"}, None),
            ("other_scheme", {"authorization": f"Token {API_TOKEN}x"}, None),
            ("wrong_basic", {"authorization": f"Basic {basic}"}, None),
            ("query_token", {}, {"token": API_TOKEN + "x", "api_token": API_TOKEN + "x"}),
            ("x_forwarded_for_loopback", {"x-forwarded-for": "127.0.0.1"}, None),
        ]
        for label, headers, params in tries:
            yield Case(
                f"auth/{slug}/{label}",
                method=method,
                path=path,
                headers=headers,
                params=params,
                expect="refuse",
            )
        for trick in (
            "/API/groups",
            "//api/groups",
            "/api/./groups",
            "/api/%67roups",
            "/api/groups%00",
            "/api/groups/..%2f..%2fhealth",
        ):
            yield Case(f"auth/path{trick}", method="GET", path=trick, expect="refuse")
    for path in (
        "/api/groups/9223372036854775808",
        "/api/groups/-9223372036854775809",
        "/api/groups/1e3",
        "/api/scans/9223372036854775808",
        "/groups/18446744073709551616",
    ):
        yield Case(f"ids{path}", method="GET", path=path, headers=bearer, expect="refuse")
    for label, params in (
        ("offset_2_63", {"offset": str(2**63)}),
        ("offset_2_70", {"offset": str(2**70)}),
        ("limit_2_70", {"limit": str(2**70)}),
        ("status_array", {"status": "open", "source": "\x00"}),
    ):
        yield Case(
            f"ids/api_groups/{label}",
            method="GET",
            path="/api/groups",
            headers=bearer,
            params=params,
            expect="either",
            max_store=0,
        )
    for target in TARGETS:
        if target.needs_key:
            continue
        yield Case(
            f"cors/{target.name}/preflight",
            method="OPTIONS",
            path=target.path,
            headers={
                "origin": f"https://{EVIL}",
                "access-control-request-method": "POST",
                "access-control-request-headers": "content-type",
            },
            check=_no_acao,
            max_store=0,
        )
    for path in ("/api/groups", "/", "/health"):
        yield Case(
            f"cors{path.replace('/', '_')}/get",
            method="GET",
            path=path,
            headers={"origin": f"https://{EVIL}", **bearer},
            check=_no_acao,
            max_store=0,
        )
    for path in ("/api/groups/", "/health/", "/api/1/envelope", "/webhook/generic/"):
        yield Case(
            f"host_redirect{path}",
            method="GET",
            path=path,
            headers={"host": EVIL, **bearer},
            check=_no_header("location", EVIL),
            max_store=0,
        )
    yield Case("http09/get_health", raw=b"GET /health\r\n\r\n", expect="refuse")
    yield Case("http09/get_api", raw=b"GET /api/groups\n", expect="refuse")
    yield Case(
        "raw/header_crlf_injection",
        raw=b"GET /api/groups/x HTTP/1.1\r\nHost: a\r\nX-Request-ID: a\rSet-Cookie: x=1\r\n\r\n",
        expect="refuse",
    )
    yield Case(
        "echo/x_request_id_script",
        method="GET",
        path="/api/groups/x",
        headers={"x-request-id": '<script>alert(1)</script>"', **bearer},
        check=_request_id_plain,
        expect="refuse",
    )
    yield Case(
        "echo/x_request_id_10k",
        method="GET",
        path="/api/groups/x",
        headers={"x-request-id": "a" * 10_000, **bearer},
        check=_request_id_plain,
        expect="refuse",
    )


def _request_id_plain(response: httpx.Response) -> str | None:
    value = response.headers.get("x-request-id", "")
    if len(value) > 128 or any(c in value for c in "<>\"'"):
        return f"x-request-id echoed unbounded/unsafe ({len(value)} chars)"
    return None


def replay_cases(key: str) -> Iterator[tuple[Case, Case]]:
    """Pairs: a valid signed request, then its replay (which must store nothing)."""
    for target in TARGETS:
        if not target.stores or target.name == "sentry_envelope":
            continue
        doc = target.valid(f"replayed {uuid.uuid4().hex}")
        if target.name == "generic":
            doc.pop("event_id")  # the signature alone must name the delivery
        body = target.encode(doc)
        first = _request(target, body, key)
        yield (
            Case(f"{target.name}/replay/first", expect="valid", **first),
            Case(f"{target.name}/replay/same", expect="either", max_store=0, **first),
        )
        if target.sign is payloads.sign_sentry_hook:
            # Sentry signs the body alone: a replay can carry a fresh Sentry-Hook-Timestamp.
            yield (
                Case(f"{target.name}/replay/fresh_timestamp/first", max_store=0, **first),
                Case(
                    f"{target.name}/replay/fresh_timestamp/again",
                    max_store=0,
                    **_request(target, body, key, **target.sign(body, time.time() + 5)),
                ),
            )
        if target.sign is payloads.sign_generic:
            # The body-only form leaves the timestamp unsigned: replay it with a fresh one.
            unnamed = target.valid(f"replayed {uuid.uuid4().hex}")
            unnamed.pop("event_id")
            other = target.encode(unnamed)
            signed = payloads.sign_generic_body_only(other)
            fresh = {**signed, "x-autotriage-timestamp": str(int(time.time()) + 5)}
            yield (
                Case(
                    f"{target.name}/replay/fresh_timestamp/first",
                    expect="valid",
                    **_request(target, other, key, **signed),
                ),
                Case(
                    f"{target.name}/replay/fresh_timestamp/again",
                    max_store=0,
                    **_request(target, other, key, **fresh),
                ),
            )


def secret_query_cases() -> Iterator[Case]:
    """Shared secrets in the query string land in proxy logs: refused, except on the one
    route whose sender can only be given a URL (Sentry's legacy plugin), where it is taken
    and must never reach the log (the after-run check looks for every server secret)."""
    plugin = next(t for t in TARGETS if t.name == "sentry_plugin")
    yield Case(
        "sentry_plugin/secret_in_query",
        path=plugin.path,
        headers={"content-type": "application/json"},
        body=plugin.body(),
        params={"token": payloads.WEBHOOK_SECRET},
        expect="valid",
    )
    slack = next(t for t in TARGETS if t.name == "slack_event")
    yield Case(
        "slack_event/secret_in_query",
        path=slack.path,
        headers={"content-type": "application/json"},
        body=json.dumps({"text": "ValueError: boom"}).encode(),
        params={"token": payloads.WEBHOOK_SECRET},
        expect="refuse",
    )


def all_cases(key: str, *, heavy: bool = False) -> Iterator[Case]:
    """Every single-request case, in a stable order."""
    for target in TARGETS:
        yield from _json_cases(target, key)
        yield from _limit_cases(target, key)
        yield from _signature_cases(target, key)
    yield from _envelope_cases(key)
    yield from compression_cases(key, 1024 * 1024 * 1024 if heavy else 64 * 1024 * 1024, heavy)
    yield from web_cases()
    yield from secret_query_cases()
    yield from slash_command_cases()


def ssrf_cases(listener: str) -> Iterator[Case]:
    """URLs pointing inward: SNS certificate and subscribe URLs, Sentry ids and URLs."""
    arn = "arn:aws:sns:us-east-1:123456789012:hostile"
    host = listener.split("://", 1)[1]
    for label, cert in (
        ("loopback", f"{listener}/cert.pem"),
        ("userinfo_trick", f"https://sns.us-east-1.amazonaws.com@{host}/cert.pem"),
        ("suffix_trick", f"http://sns.us-east-1.amazonaws.com.{host}/cert.pem"),
        ("path_trick", f"{listener}/sns.us-east-1.amazonaws.com/cert.pem"),
        ("link_local", "http://169.254.169.254/latest/meta-data/cert.pem"),
    ):
        message = {
            "Type": "SubscriptionConfirmation",
            "MessageId": str(uuid.uuid4()),
            "Token": "t" * 64,
            "TopicArn": arn,
            "Message": "confirm",
            "SubscribeURL": f"{listener}/subscribe?label={label}",
            "Timestamp": "2024-01-01T00:00:00.000Z",
            "SignatureVersion": "1",
            "Signature": base64.b64encode(b"forged").decode(),
            "SigningCertURL": cert,
        }
        yield Case(
            f"ssrf/sns/{label}",
            path="/webhook/sns",
            headers={
                "content-type": "text/plain; charset=UTF-8",
                "x-amz-sns-message-type": "SubscriptionConfirmation",
            },
            body=json.dumps(message).encode(),
            expect="refuse",
        )
    hook = next(t for t in TARGETS if t.name == "sentry_hook")
    for label, issue_id in (
        ("query", "1?cursor=x&"),
        ("traversal", "1%2F..%2F..%2Fusers"),
        ("slash", "1/../../users"),
        ("full_url", f"{listener}/steal"),
    ):
        doc = {
            "action": "created",
            "data": {
                "issue": {
                    "id": issue_id,
                    "title": "HostileError: ssrf",
                    "culprit": "app",
                    "permalink": f"{listener}/permalink",
                    "level": "error",
                    "project": {"slug": "p"},
                    "metadata": {"type": "HostileError"},
                }
            },
        }
        body = json.dumps(doc).encode()
        headers = {
            "content-type": "application/json",
            **hook.sign(body),
            "sentry-hook-resource": "issue",
        }
        yield Case(
            f"ssrf/sentry_issue_id/{label}",
            path=hook.path,
            headers=headers,
            body=body,
            expect="either",
        )
    generic = next(t for t in TARGETS if t.name == "generic")
    doc = generic.valid("ssrf probe")
    doc["link"] = f"{listener}/event-link"
    doc["exception"]["frames"][0]["abs_path"] = f"{listener}/source.py"
    body = json.dumps(doc).encode()
    yield Case(
        "ssrf/generic/urls_in_event",
        path=generic.path,
        headers={"content-type": "application/json", **generic.sign(body)},
        body=body,
        expect="valid",
    )


def slash_command_cases() -> Iterator[Case]:
    """Slash-command text that would notify, link or inject if echoed unescaped."""
    target = next(t for t in TARGETS if t.name == "slack_command")
    for label, text in (
        ("broadcast", "status <!channel> <!here> <!everyone>"),
        ("link", "show <https://evil.example|click me> <@U0ADMIN>"),
        ("markup", "groups *bold* `tick` ```fence``` " + XSS),
        ("shellish", "; rm -rf / && $(id) `id`"),
        ("long", "x" * 4000),
    ):
        body = payloads.slack_command(text)
        yield Case(
            f"slack_command/inject/{label}",
            path=target.path,
            headers={"content-type": target.content_type, **target.sign(body)},
            body=body,
            expect="either",
            max_store=0,
            check=_inert_slack,
        )


def _inert_slack(response: httpx.Response) -> str | None:
    text = response.text
    for token in ("<!channel>", "<!here>", "<!everyone>", "<https://evil", "<script"):
        if token in text:
            return f"echoed {token!r} unescaped"
    return None
