"""The DSN endpoints in-process: auth, limits, dedupe and 429s; bad input stores nothing."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from typing import Any

import pytest

from autotriage.models import utcnow
from autotriage.store.ingest_keys import revoke_key


def _envelope(key: str | None, event_id: str = "a" * 32, project: int = 42) -> bytes:
    header = {"event_id": event_id, "sent_at": "2026-11-29T02:00:00Z"}
    if key:
        header["dsn"] = f"http://{key}@127.0.0.1:3000/{project}"
    event = {
        "event_id": event_id,
        "level": "error",
        "platform": "python",
        "exception": {
            "values": [
                {
                    "type": "KeyError",
                    "value": "'sku'",
                    "stacktrace": {
                        "frames": [
                            {
                                "filename": "shop/cart.py",
                                "function": "add",
                                "lineno": 12,
                                "in_app": True,
                            }
                        ]
                    },
                }
            ]
        },
    }
    item = json.dumps(event).encode()
    return (
        b"\n".join(
            [
                json.dumps(header).encode(),
                json.dumps({"type": "event", "length": len(item)}).encode(),
                item,
                b'{"type":"client_report"}',
                b'{"discarded_events":[]}',
            ]
        )
        + b"\n"
    )


def _auth(key: str) -> dict[str, str]:
    return {"x-sentry-auth": f"Sentry sentry_version=7, sentry_client=test/1, sentry_key={key}"}


def test_envelope_is_stored_once_and_answered_with_its_id(make_app: Callable[..., Any]) -> None:
    app = make_app()
    body = gzip.compress(_envelope(app.key))
    first = app.client.post("/api/42/envelope/", content=body, headers={"content-encoding": "gzip"})
    again = app.client.post("/api/42/envelope/", content=body, headers={"content-encoding": "gzip"})
    assert first.status_code == 200
    assert first.json()["id"] == "a" * 32
    assert again.status_code == 200
    assert app.counts() == (1, 0)
    (stored,) = app.events()
    assert stored["exceptions"][0]["frames"][0]["filename"] == "shop/cart.py"


def test_store_endpoint_with_the_auth_header(make_app: Callable[..., Any]) -> None:
    app = make_app()
    event = {"event_id": "b" * 32, "message": "legacy store", "level": "warning"}
    response = app.client.post("/api/42/store/", json=event, headers=_auth(app.key))
    assert response.status_code == 200
    assert response.json() == {"id": "b" * 32}
    assert app.events()[0]["level"] == "warning"


@pytest.mark.parametrize(
    ("mutate", "status", "reason"),
    [
        (lambda key, body, h: (body.replace(key.encode(), b"f" * 32), h), 401, "unknown"),
        (lambda key, body, h: (body.replace(b'"dsn"', b'"nodsn"'), h), 401, "no ingest key"),
        (lambda key, body, h: (b"{not json\n" + body, h), 400, "envelope header"),
        (lambda key, body, h: (body.replace(b'"length": ', b'"length": 9'), h), 400, "declares"),
        (
            lambda key, body, h: (
                body.split(b"\n", 1)[0] + b'\n{"type":"event"}\n' + b"[" * 3000 + b"]" * 3000,
                h,
            ),
            400,
            "nested",
        ),
        (
            lambda key, body, h: (
                gzip.compress(b"\0" * (20 * 1024 * 1024)),
                {"content-encoding": "gzip"},
            ),
            413,
            "inflates past",
        ),
        (lambda key, body, h: (body, {"content-encoding": "gzip"}), 400, "not valid gzip"),
    ],
)
def test_bad_envelopes_store_nothing(
    make_app: Callable[..., Any],
    mutate: Callable[..., tuple[bytes, dict[str, str]]],
    status: int,
    reason: str,
) -> None:
    app = make_app()
    body, headers = mutate(app.key, _envelope(app.key), {})
    response = app.client.post("/api/42/envelope/", content=body, headers=headers)
    assert response.status_code == status, response.text
    assert reason in response.json()["error"]["message"]
    assert app.counts() == (0, 0)


def test_key_of_another_project_and_revoked_keys_are_refused(
    make_app: Callable[..., Any],
) -> None:
    app = make_app(INGEST_KEY_CACHE_SECONDS="0")
    other = app.client.post("/api/7/envelope/", content=_envelope(app.key, project=7))
    assert other.status_code == 401
    assert "project 7" in other.json()["error"]["message"]
    with app.store.transaction() as session:
        revoke_key(session, app.key[:8], utcnow())
    revoked = app.client.post("/api/42/envelope/", content=_envelope(app.key))
    assert revoked.status_code == 401
    assert app.counts() == (0, 0)


def test_quota_answers_429_with_sentry_rate_limits(make_app: Callable[..., Any]) -> None:
    app = make_app(INGEST_EVENTS_PER_MINUTE="2")
    codes = [
        app.client.post("/api/42/envelope/", content=_envelope(app.key, c * 32)).status_code
        for c in "ab"
    ]
    assert codes[:2] == [200, 200]
    limited = app.client.post("/api/42/envelope/", content=_envelope(app.key, event_id="d" * 32))
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    retry = limited.headers["retry-after"]
    assert limited.headers["x-sentry-rate-limits"] == f"{retry}::key:key_quota"
    assert app.counts() == (2, 0)


def test_bench_endpoint_exists_only_when_enabled(make_app: Callable[..., Any]) -> None:
    assert make_app().client.post("/bench/drop", content=b"x").status_code == 404
    enabled = make_app(AUTOTRIAGE_BENCH_ENDPOINTS="true")
    assert enabled.client.post("/bench/drop", content=b"xyz").json()["bytes"] == 3
    assert enabled.counts() == (0, 0)


def test_browser_sdks_get_cors_on_answers_refusals_and_preflights(
    make_app: Callable[..., Any],
) -> None:
    app = make_app()
    page = {"origin": "https://shop.example"}
    preflight = app.client.options(
        "/api/42/envelope/",
        headers={**page, "access-control-request-method": "POST"},
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    # @sentry/browser: text/plain body, key in the query string, rate limits read back
    stored = app.client.post(
        f"/api/42/envelope/?sentry_key={app.key}&sentry_version=7",
        content=_envelope(None),
        headers={**page, "content-type": "text/plain;charset=UTF-8"},
    )
    assert stored.status_code == 200
    assert stored.headers["access-control-allow-origin"] == "*"
    assert "x-sentry-rate-limits" in stored.headers["access-control-expose-headers"]
    refused = app.client.post("/api/42/envelope/", content=_envelope(None), headers=page)
    assert refused.status_code == 401
    assert refused.headers["access-control-allow-origin"] == "*"
    assert app.counts()[0] == 1
    # other paths stay without CORS
    assert "access-control-allow-origin" not in app.client.get("/health", headers=page).headers


def test_an_envelope_holds_at_most_one_event(make_app: Callable[..., Any]) -> None:
    app = make_app()
    one = _envelope(app.key)
    header, rest = one.split(b"\n", 1)
    second = json.dumps({"event_id": "c" * 32, "message": "second"}).encode()
    two = one + b'{"type":"event","length":%d}\n' % len(second) + second + b"\n"
    refused = app.client.post("/api/42/envelope/", content=two)
    assert refused.status_code == 400
    assert "at most 1 event item" in refused.json()["error"]["message"]
    assert "holds 2" in refused.json()["error"]["message"]
    assert app.counts() == (0, 0)
    # One event with other items beside it (a session, a client report) is fine.
    session = b'{"type":"session"}\n{"sid":"s1","status":"ok"}\n'
    accepted = app.client.post("/api/42/envelope/", content=header + b"\n" + session + rest)
    assert accepted.status_code == 200, accepted.text
    assert app.counts() == (1, 0)


def _base64_zlib(size: int) -> bytes:
    import base64
    import zlib

    packer = zlib.compressobj(9)
    chunk = b"\0" * (1 << 20)
    packed = b"".join(packer.compress(chunk) for _ in range(size >> 20)) + packer.flush()
    return base64.b64encode(packed)


def test_store_bomb_is_refused_before_inflating_and_within_the_limit(
    make_app: Callable[..., Any],
) -> None:
    import tracemalloc

    app = make_app(INGEST_MAX_INFLATED_BYTES=str(4 << 20))
    bomb = _base64_zlib(256 << 20)  # ~350 KB that inflates to 256 MiB
    assert len(bomb) < 400_000
    tracemalloc.start()
    try:
        anonymous = app.client.post("/api/42/store/", content=bomb)
        _, without_key = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        keyed = app.client.post("/api/42/store/", content=bomb, headers=_auth(app.key))
        _, with_key = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert anonymous.status_code == 401
    assert without_key < 8 << 20, without_key  # the key check came before any inflating
    assert keyed.status_code == 413
    assert "inflates past" in keyed.json()["error"]["message"]
    assert with_key < 32 << 20, with_key  # bounded by the 4 MiB limit, not by the bomb
    assert app.counts() == (0, 0)


def test_legacy_store_body_inflates_base64_zlib(make_app: Callable[..., Any]) -> None:
    import base64
    import zlib

    app = make_app()
    event = {"event_id": "e" * 32, "message": "raven style", "level": "error"}
    body = base64.b64encode(zlib.compress(json.dumps(event).encode()))
    response = app.client.post("/api/42/store/", content=body, headers=_auth(app.key))
    assert response.status_code == 200, response.text
    assert app.events()[0]["message"] == "raven style"


def test_commits_feed_the_load_shedders_latency_reading(make_app: Callable[..., Any]) -> None:
    app = make_app()
    shedder = app.client.app.state.services.guard.shedder
    assert shedder.commit_seconds == 0.0
    assert app.client.post("/api/42/envelope/", content=_envelope(app.key)).status_code == 200
    assert shedder.commit_seconds > 0.0
