"""``slack.notify`` against a local HTTP server standing in for Slack, which checks the
shape of every request (chat.postMessage with Block Kit and a text fallback, threads for
repeats, incoming webhooks), answers 429 with Retry-After when told to, and records."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from autotriage.actions.slack import SlackNotify, SlackPost
from autotriage.config import Settings
from autotriage.intake import Intake
from autotriage.models import ErrorEvent, ExceptionInfo, Frame, utcnow
from autotriage.pipeline import Worker
from autotriage.services import build_services
from autotriage.store import Store
from autotriage.store.tables import Action
from autotriage.understanding.scrub import ScrubPolicy

TOKEN = "xoxb-0000000000-test-token-not-real"


class FakeSlack:
    """Records requests; answers like Slack (or with the queued responses first)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.queued: list[tuple[int, dict[str, str], bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length", 0)))
                body = json.loads(raw)
                outer.requests.append(
                    {
                        "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "json": body,
                    }
                )
                status, headers, reply = outer.answer(self.path, body)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        if self.queued:
            return self.queued.pop(0)
        if path == "/api/chat.postMessage":
            ts = f"1780000000.{len(self.requests):06d}"
            data = {"ok": True, "channel": body["channel"], "ts": ts}
            return 200, {"content-type": "application/json"}, json.dumps(data).encode()
        return 200, {"content-type": "text/plain"}, b"ok"


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    fake = FakeSlack()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def _event(n: int = 0, message: str = "division by zero") -> ErrorEvent:
    frame = Frame(filename="orders/pricing.py", function="compute_total", lineno=41, in_app=True)
    return ErrorEvent(
        source="cloudwatch",
        source_event_id=f"evt-{n}",
        message=message,
        exceptions=[ExceptionInfo(type="ZeroDivisionError", value=message, frames=[frame])],
    )


def _run(settings: Settings, store: Store, events: list[ErrorEvent]) -> Worker:
    Intake(store).accept("cloudwatch", events)
    services = build_services(settings, store=store)
    services.worker.drain(timeout=60)
    services.http.close()
    return services.worker


def _actions(store: Store) -> list[Action]:
    with store.reading() as session:
        return list(session.scalars(select(Action).where(Action.kind == "slack.notify")))


@pytest.fixture
def bot_settings(make_settings: Callable[..., Settings], slack: FakeSlack) -> Settings:
    return make_settings(
        SLACK_BOT_TOKEN=TOKEN, SLACK_CHANNEL="C0ALERTS001", SLACK_API_URL=f"{slack.url}/api"
    )


def _store(settings: Settings) -> Store:
    store = Store(settings.database_url)
    store.migrate()
    return store


def test_new_group_posts_block_kit_and_a_spike_replies_in_its_thread(
    bot_settings: Settings, slack: FakeSlack
) -> None:
    store = _store(bot_settings)
    _run(bot_settings, store, [_event(0, "password=hunter2 division by zero")])
    [first] = slack.requests
    assert first["path"] == "/api/chat.postMessage"
    assert first["headers"]["authorization"] == f"Bearer {TOKEN}"
    assert first["headers"]["content-type"] == "application/json"
    body = first["json"]
    assert body["channel"] == "C0ALERTS001"
    assert body["unfurl_links"] is False
    assert "thread_ts" not in body
    assert body["text"].startswith("New error: ZeroDivisionError")
    assert "opened issue #1" in body["text"]
    assert [b["type"] for b in body["blocks"]] == ["header", "section", "context"]
    assert body["blocks"][0]["text"]["type"] == "plain_text"
    assert "`orders/pricing.py:41` in `compute_total`" in body["blocks"][1]["text"]["text"]
    assert "hunter2" not in json.dumps(body)  # scrubbed

    _run(bot_settings, store, [_event(n) for n in range(1, 10)])  # the 10th occurrence
    assert len(slack.requests) == 2
    spike = slack.requests[1]["json"]
    assert spike["text"].startswith("Error is spiking")
    assert spike["thread_ts"] == "1780000000.000001"
    assert "10 times" in spike["blocks"][1]["text"]["text"]
    statuses = sorted((a.status, a.external_id) for a in _actions(store))
    assert statuses == [
        ("ok", "C0ALERTS001:1780000000.000001"),
        ("ok", "C0ALERTS001:1780000000.000002"),
    ]
    store.dispose()


def test_rate_limited_post_is_retried_after_retry_after(
    bot_settings: Settings, slack: FakeSlack
) -> None:
    slack.queued.append((429, {"retry-after": "7"}, b'{"ok":false,"error":"ratelimited"}'))
    store = _store(bot_settings)
    before = utcnow()
    _run(bot_settings, store, [_event()])
    [action] = _actions(store)
    assert action.status == "retryable"
    assert action.detail == "Slack rate limit; retry after 7s"
    assert before + timedelta(seconds=6) < action.next_attempt_at < utcnow() + timedelta(seconds=8)
    assert TOKEN not in (action.detail or "")
    store.dispose()


def test_refusal_is_permanent_and_keeps_the_token_out(
    bot_settings: Settings, slack: FakeSlack
) -> None:
    slack.queued.append(
        (200, {"content-type": "application/json"}, b'{"ok":false,"error":"channel_not_found"}')
    )
    store = _store(bot_settings)
    _run(bot_settings, store, [_event()])
    [action] = _actions(store)
    assert (action.status, action.detail) == ("permanent", "Slack: channel_not_found")
    store.dispose()


def test_incoming_webhook_posts_text_and_blocks(
    make_settings: Callable[..., Settings], slack: FakeSlack
) -> None:
    settings = make_settings(SLACK_WEBHOOK_URL=f"{slack.url}/services/T0TEAM0001/B0HOOK/xyz")
    store = _store(settings)
    _run(settings, store, [_event()])
    [request] = slack.requests
    assert request["path"] == "/services/T0TEAM0001/B0HOOK/xyz"
    assert set(request["json"]) == {"text", "blocks"}
    assert "authorization" not in request["headers"]
    assert [a.status for a in _actions(store)] == ["ok"]
    store.dispose()


def test_without_slack_nothing_is_planned(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings()
    store = _store(settings)
    _run(settings, store, [_event()])
    assert _actions(store) == []
    store.dispose()


def test_at_most_one_message_per_second_per_channel(bot_settings: Settings) -> None:
    sent: list[str] = []

    def reply(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content)["channel"])
        return httpx.Response(200, json={"ok": True, "channel": sent[-1], "ts": "1.0"})

    slept: list[float] = []
    now = [100.0]

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    handler = SlackNotify(
        bot_settings.slack,
        httpx.Client(transport=httpx.MockTransport(reply)),
        policy=ScrubPolicy(),
        clock=lambda: now[0],
        sleep=sleep,
    )
    post = SlackPost("C1", "t", [])
    for _ in range(3):
        assert handler.perform(post).status == "ok"
    assert handler.perform(SlackPost("C2", "t", [])).status == "ok"
    assert slept == [1.0, 1.0]  # C1 paced; C2 independent
    assert sent == ["C1", "C1", "C1", "C2"]
    handler.http.close()
