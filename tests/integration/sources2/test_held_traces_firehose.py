"""Firehose deliveries that cut a traceback in two: the head is held, the tail completes it
in the same event and group, across separate deliveries and a restart, on both backends.

Each delivery goes over HTTP to a live server; the tail goes to a second server on the
same database (a restart, or another replica). The expected group is what the whole
trace, delivered in one piece, is grouped as.
"""

from __future__ import annotations

import base64
import gzip
import itertools
import json
from collections.abc import Callable, Iterator, Sequence
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from autotriage.config import Settings, load_settings
from autotriage.models import utcnow
from autotriage.pipeline import process_pending
from autotriage.services import build_services
from autotriage.sources.aws import firehose
from autotriage.sources.aws.tails import release_expired
from autotriage.store import Store
from autotriage.store.held_traces import HeldTrace
from autotriage.store.tables import Event, Group
from autotriage.understanding.fingerprint import compute_fingerprint
from autotriage.understanding.scrub import scrub_event

KEY = "test-firehose-access-key"
GROUP = "/ecs/orders-api"
T0 = 1_780_000_000_000

PY_HEAD = [
    "2026-05-28 20:26:38,114 ERROR orders.views Unhandled exception on POST /orders",
    "Traceback (most recent call last):",
    '  File "/srv/app/orders/views.py", line 88, in create_order',
    "    total = compute_total(cart)",
]
PY_TAIL = [
    '  File "/srv/app/orders/pricing.py", line 41, in compute_total',
    "    return subtotal / item_count",
    "ZeroDivisionError: division by zero",
]
PY2_HEAD = [
    "2026-05-28 20:26:38,200 ERROR billing.jobs charge failed",
    "Traceback (most recent call last):",
    '  File "/srv/app/billing/jobs.py", line 12, in charge',
    "    card = cards[customer]",
]
PY2_TAIL = [
    '  File "/srv/app/billing/cards.py", line 7, in __getitem__',
    "    return self._by_id[key]",
    "KeyError: 'cus_123'",
]
JAVA_HEAD = [
    "2026-05-28 20:26:38.114 ERROR [http-nio-8080-exec-1] c.s.OrderController - Request failed",
    "java.lang.IllegalStateException: order service unavailable",
    "\tat com.shop.orders.OrderService.place(OrderService.java:42)",
]
JAVA_TAIL = [
    "\tat com.shop.orders.OrderController.create(OrderController.java:17)",
    "Caused by: java.net.ConnectException: Connection refused",
    "\tat java.base/sun.nio.ch.Net.connect0(Native Method)",
    "\tat com.shop.orders.Client.call(Client.java:88)",
]
NEXT_RECORD = "2026-05-28 20:26:40.001 INFO [http-nio-8080-exec-2] c.s.OrderController - ok"

_ids = itertools.count(1)


def log_events(lines: Sequence[str], start_ms: int) -> list[dict[str, Any]]:
    """Subscription ``logEvents``: one per line, 1 ms apart, ids growing like AWS's."""
    return [
        {"id": str(10**55 + next(_ids)), "timestamp": start_ms + i, "message": line}
        for i, line in enumerate(lines)
    ]


def message(stream: str, events: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "messageType": "DATA_MESSAGE",
        "owner": "123456789012",
        "logGroup": GROUP,
        "logStream": stream,
        "subscriptionFilters": ["to-triage"],
        "logEvents": events,
    }


def delivery(request_id: str, *messages: dict[str, Any]) -> bytes:
    records = [
        {"data": base64.b64encode(gzip.compress(json.dumps(m).encode())).decode()} for m in messages
    ]
    return json.dumps({"requestId": request_id, "timestamp": T0, "records": records}).encode()


class Deployment:
    """Servers on one database; each `server()` is a fresh process's services."""

    def __init__(self, database_url: str, serve: Callable[[FastAPI], httpx.Client]) -> None:
        self.settings: Settings = load_settings(
            env_file=None,
            DATABASE_URL=database_url,
            AUTOTRIAGE_WORKER="false",
            FIREHOSE_ACCESS_KEY=KEY,
            CLOUDWATCH_TAIL_GRACE_SECONDS=120,
        )
        self.serve = serve
        self.store = Store(database_url)
        self.store.migrate()

    def server(self) -> httpx.Client:
        from autotriage.web.app import create_app

        return self.serve(create_app(build_services(self.settings)))

    def post(self, http: httpx.Client, body: bytes) -> None:
        request_id = json.loads(body)["requestId"]
        headers = {
            "Content-Type": "application/json",
            "X-Amz-Firehose-Access-Key": KEY,
            "X-Amz-Firehose-Request-Id": request_id,
        }
        response = http.post("/webhook/firehose", content=body, headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["requestId"] == request_id

    def rows(self) -> list[Event]:
        with self.store.reading() as session:
            rows = list(session.scalars(select(Event).order_by(Event.id)))
            session.expunge_all()
            return rows

    def statuses(self) -> dict[str, str]:
        """source_event_id -> status of every stored row."""
        return {str(r.source_event_id): r.status for r in self.rows()}

    def group(self) -> int:
        return process_pending(self.store, self.settings)

    def groups(self) -> list[tuple[str, str, int]]:
        with self.store.reading() as session:
            return [
                (g.title, g.fingerprint, g.count)
                for g in session.scalars(select(Group).order_by(Group.id))
            ]

    def held(self) -> int:
        with self.store.reading() as session:
            return len(session.scalars(select(HeldTrace)).all())


@pytest.fixture
def deployment(
    database_url: str, serve_app: Callable[[FastAPI], httpx.Client]
) -> Iterator[Deployment]:
    made = Deployment(database_url, serve_app)
    yield made
    made.store.dispose()


def whole(stream: str, lines: Sequence[str]) -> tuple[str, str]:
    """(title, fingerprint) of the trace delivered in one piece: what the group must be."""
    body = delivery("reference", message(stream, log_events(lines, T0)))
    [event] = firehose.parse(body, {})
    return event.title, compute_fingerprint(scrub_event(event)).primary


def test_python_tail_in_the_next_delivery_completes_the_held_head(deployment: Deployment) -> None:
    first = deployment.server()
    head = log_events(PY_HEAD, T0)
    deployment.post(first, delivery("d-1", message("web/1", head)))
    assert deployment.statuses() == {head[0]["id"]: "held"}
    assert deployment.group() == 0  # nothing acted on while the head waits

    second = deployment.server()  # a restart: the state is in the database
    tail = log_events(PY_TAIL, T0 + len(PY_HEAD))
    deployment.post(second, delivery("d-2", message("web/1", tail)))
    statuses = deployment.statuses()
    assert statuses == {head[0]["id"]: "pending", tail[0]["id"]: "merged"}
    assert deployment.held() == 0
    assert deployment.group() == 1

    title, fingerprint = whole("web/1", PY_HEAD + PY_TAIL)
    assert title == "ZeroDivisionError: division by zero"
    assert deployment.groups() == [(title, fingerprint, 1)]
    [event] = [r for r in deployment.rows() if r.status == "done"]
    assert event.source_event_id == head[0]["id"]  # the head's event, completed in place
    frames = event.payload["exceptions"][-1]["frames"]
    assert [f["function"] for f in frames] == ["create_order", "compute_total"]
    join = event.payload["contexts"]["cloudwatch"]["join"]
    assert "lines" not in join
    assert join["events"] == len(PY_HEAD) + len(PY_TAIL)


def test_java_tail_of_frames_only_joins_and_a_later_record_closes_it(
    deployment: Deployment,
) -> None:
    http = deployment.server()
    head = log_events(JAVA_HEAD, T0)
    deployment.post(http, delivery("j-1", message("api/7", head)))
    assert deployment.statuses() == {head[0]["id"]: "held"}

    frames = log_events(JAVA_TAIL[:1], T0 + 10)  # one more frame: no error word in it
    deployment.post(http, delivery("j-2", message("api/7", frames)))
    assert deployment.statuses() == {head[0]["id"]: "held", frames[0]["id"]: "merged"}
    deployment.post(http, delivery("j-2b", message("api/7", frames)))  # again, another id
    assert deployment.statuses() == {head[0]["id"]: "held", frames[0]["id"]: "merged"}

    rest = log_events([*JAVA_TAIL[1:], NEXT_RECORD], T0 + 20)
    deployment.post(http, delivery("j-3", message("api/7", rest)))
    assert deployment.statuses()[head[0]["id"]] == "pending"
    assert deployment.held() == 0
    assert deployment.group() == 1
    title, fingerprint = whole("api/7", JAVA_HEAD + JAVA_TAIL)
    assert deployment.groups() == [(title, fingerprint, 1)]
    [event] = [r for r in deployment.rows() if r.status == "done"]
    types = [e["type"] for e in event.payload["exceptions"]]
    assert "java.net.ConnectException" in types  # the cause came with the tail


def test_a_tail_that_never_comes_is_acted_on_after_the_grace_period(
    deployment: Deployment,
) -> None:
    http = deployment.server()
    head = log_events(PY_HEAD, T0)
    deployment.post(http, delivery("n-1", message("web/2", head)))
    assert release_expired(deployment.store) == 0  # still within its grace
    assert deployment.group() == 0
    later = utcnow() + timedelta(seconds=121)
    assert release_expired(deployment.store, later) == 1
    assert deployment.statuses() == {head[0]["id"]: "pending"}
    assert deployment.group() == 1
    [(title, _, count)] = deployment.groups()
    assert count == 1
    assert title == whole("web/2", PY_HEAD)[0]  # as it is: the partial trace
    # a tail arriving after that is no longer joined (the head was acted on); by itself
    # it reports no error, so nothing more is stored or grouped
    tail = log_events(PY_TAIL, T0 + len(PY_HEAD))
    deployment.post(http, delivery("n-2", message("web/2", tail)))
    assert deployment.statuses() == {head[0]["id"]: "done"}
    assert deployment.group() == 0


def test_interleaved_streams_each_complete_their_own_head(deployment: Deployment) -> None:
    http = deployment.server()
    a_head, b_head = log_events(PY_HEAD, T0), log_events(PY2_HEAD, T0 + 1)
    deployment.post(http, delivery("i-1", message("web/a", a_head), message("web/b", b_head)))
    assert deployment.held() == 2
    b_tail = log_events(PY2_TAIL, T0 + 8)
    a_tail = log_events(PY_TAIL, T0 + 9)
    # the tails come in the other order, the first in a delivery of its own
    deployment.post(http, delivery("i-2", message("web/b", b_tail)))
    assert deployment.held() == 1
    deployment.post(http, delivery("i-3", message("web/a", a_tail)))
    assert deployment.held() == 0
    assert deployment.group() == 2
    assert sorted(deployment.groups()) == sorted(
        [(*whole("web/a", PY_HEAD + PY_TAIL), 1), (*whole("web/b", PY2_HEAD + PY2_TAIL), 1)]
    )


def test_a_duplicate_tail_stores_nothing_more(deployment: Deployment) -> None:
    http = deployment.server()
    head = log_events(PY_HEAD, T0)
    tail = log_events(PY_TAIL, T0 + len(PY_HEAD))
    deployment.post(http, delivery("u-1", message("web/3", head)))
    deployment.post(http, delivery("u-2", message("web/3", tail)))
    before = deployment.statuses()
    deployment.post(http, delivery("u-2", message("web/3", tail)))  # Firehose's retry
    deployment.post(http, delivery("u-3", message("web/3", tail)))  # same events, new id
    assert deployment.statuses() == before
    assert deployment.group() == 1
    deployment.post(http, delivery("u-4", message("web/3", tail)))  # after grouping too
    assert deployment.group() == 0
    [(title, _, count)] = deployment.groups()
    assert (title, count) == ("ZeroDivisionError: division by zero", 1)


def test_a_complete_trace_is_never_held(deployment: Deployment) -> None:
    http = deployment.server()
    events = log_events([*PY_HEAD, *PY_TAIL, NEXT_RECORD], T0)
    deployment.post(http, delivery("c-1", message("web/4", events[:-1])))
    assert deployment.statuses() == {events[0]["id"]: "pending"}
    assert deployment.held() == 0


def test_head_and_tail_in_two_records_of_one_delivery(deployment: Deployment) -> None:
    http = deployment.server()
    head = log_events(PY_HEAD, T0)
    tail = log_events(PY_TAIL, T0 + len(PY_HEAD))
    deployment.post(http, delivery("s-1", message("web/5", head), message("web/5", tail)))
    assert deployment.statuses() == {head[0]["id"]: "pending", tail[0]["id"]: "merged"}
    assert deployment.group() == 1
    assert deployment.groups() == [(*whole("web/5", PY_HEAD + PY_TAIL), 1)]


def test_a_running_worker_releases_a_head_when_its_grace_ends(
    database_url: str, serve_app: Callable[[FastAPI], httpx.Client]
) -> None:
    """The worker's own timer (SQLite: its periodic thread; PostgreSQL: the job engine's
    sweep) releases and groups a head whose tail never came, with no delivery after it."""
    import time

    from autotriage.web.app import create_app

    deployment = Deployment(database_url, serve_app)
    deployment.settings = load_settings(
        env_file=None,
        DATABASE_URL=database_url,
        FIREHOSE_ACCESS_KEY=KEY,
        CLOUDWATCH_TAIL_GRACE_SECONDS=1,
    )
    try:
        http = serve_app(create_app(build_services(deployment.settings)))
        head = log_events(PY_HEAD, T0)
        deployment.post(http, delivery("w-1", message("web/6", head)))
        assert deployment.statuses()[head[0]["id"]] == "held"
        deadline = time.monotonic() + 60
        while deployment.statuses()[head[0]["id"]] != "done" and time.monotonic() < deadline:
            time.sleep(0.25)
        assert deployment.statuses() == {head[0]["id"]: "done"}
        [(title, _, count)] = deployment.groups()
        assert (title, count) == (whole("web/6", PY_HEAD)[0], 1)
    finally:
        deployment.store.dispose()
