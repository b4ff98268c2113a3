"""The scan loop against paths moto cannot produce: an empty page that still carries a
``nextToken``, throttling, and an expired token. botocore's Stubber serves the fixtures."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from sqlalchemy import func, select

from autotriage.config import Settings
from autotriage.scans.runner import Scanner, cursor_name
from autotriage.store import Store
from autotriage.store.cursors import load_cursor, save_cursor
from autotriage.store.tables import Event
from tests.support import fixture_bytes

GROUP = "/ecs/orders-api"
NOW = datetime.fromtimestamp(1_780_000_000, UTC)


def _fixture(name: str) -> dict[str, Any]:
    data = json.loads(fixture_bytes("aws", "logs", name))
    return {k: v for k, v in data.items() if not k.startswith("_")}


def _main_params(token: str | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {
        "logGroupName": GROUP,
        "startTime": ANY,
        "endTime": 1_780_000_000_000,
        "limit": 1000,
        "filterPattern": ANY,
    }
    if token:
        params["nextToken"] = token
    return params


@pytest.fixture
def client() -> Any:
    return boto3.client(
        "logs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(
        AWS_REGION="us-east-1", AWS_LOG_GROUP_NAME=GROUP, CLOUDWATCH_MAX_RPS=1_000_000
    )


def _store(settings: Settings) -> Store:
    store = Store(settings.database_url)
    store.migrate()
    return store


def test_empty_page_with_token_is_not_the_end(client: Any, settings: Settings) -> None:
    page1 = _fixture("filter_log_events.page1_traceback_split.json")
    page2 = _fixture("filter_log_events.page2_empty_but_more.json")
    page3 = _fixture("filter_log_events.page3_last.json")
    stub = Stubber(client)
    stub.add_response("filter_log_events", page1, _main_params())
    stub.add_response("filter_log_events", {"events": page1["events"]})  # context read
    stub.add_response("filter_log_events", page2, _main_params(page1["nextToken"]))
    stub.add_response("filter_log_events", page3, _main_params(page2["nextToken"]))
    stub.add_response("filter_log_events", {"events": page3["events"]})  # context read
    store = _store(settings)
    with stub:
        summary = Scanner(store, settings.aws, client, clock=lambda: NOW).run(
            since=timedelta(hours=1)
        )
    stub.assert_no_pending_responses()
    [group] = summary.groups
    assert (group.pages, group.events_read, group.errors_found, group.stored) == (3, 8, 1, 1)
    assert load_cursor(store, cursor_name(GROUP)) == {"through_ms": 1_780_000_000_000, "pass": None}
    with store.reading() as session:
        titles = session.scalars(select(Event.title)).all()
    assert titles == ["ZeroDivisionError: division by zero"]


def test_throttling_backs_off_with_jitter_and_keeps_going(client: Any, settings: Settings) -> None:
    page3 = _fixture("filter_log_events.page3_last.json")
    stub = Stubber(client)
    for _ in range(3):
        stub.add_client_error(
            "filter_log_events", "ThrottlingException", "Rate exceeded", http_status_code=400
        )
    stub.add_response("filter_log_events", page3, _main_params())
    stub.add_response("filter_log_events", {"events": page3["events"]})
    slept: list[float] = []
    store = _store(settings)
    with stub:
        summary = Scanner(store, settings.aws, client, clock=lambda: NOW, sleep=slept.append).run(
            since=timedelta(hours=1)
        )
    stub.assert_no_pending_responses()
    assert summary.throttled == 3
    backoffs = [s for s in slept if s > 1e-5]  # pacing sleeps are ~1 µs here
    assert len(backoffs) == 3
    assert all(0 <= s <= 0.2 * 2**i for i, s in enumerate(backoffs))
    assert summary.groups[0].error is None
    assert summary.groups[0].pages == 1


def test_resumes_from_a_stored_token_and_recovers_from_an_invalid_one(
    client: Any, settings: Settings
) -> None:
    store = _store(settings)
    page3 = _fixture("filter_log_events.page3_last.json")
    # A crash left a pass half done: its window and the next page's token.
    with store.transaction() as session:
        save_cursor(
            session,
            cursor_name(GROUP),
            {"through_ms": None, "pass": {"start_ms": 5, "end_ms": 9, "next_token": "stale"}},
            NOW,
        )
    stub = Stubber(client)
    stub.add_response(
        "filter_log_events",
        page3,
        {
            "logGroupName": GROUP,
            "startTime": 5,
            "endTime": 9,
            "limit": 1000,
            "filterPattern": ANY,
            "nextToken": "stale",
        },
    )
    stub.add_response("filter_log_events", {"events": page3["events"]})
    with stub:
        Scanner(store, settings.aws, client, clock=lambda: NOW).run(since=timedelta(hours=1))
    stub.assert_no_pending_responses()
    assert load_cursor(store, cursor_name(GROUP)) == {"through_ms": 9, "pass": None}

    # A token AWS no longer accepts: the window is read again from its start.
    with store.transaction() as session:
        save_cursor(
            session,
            cursor_name(GROUP),
            {"through_ms": None, "pass": {"start_ms": 5, "end_ms": 9, "next_token": "expired"}},
            NOW,
        )
    stub = Stubber(client)
    stub.add_client_error(
        "filter_log_events", "InvalidParameterException", "The specified nextToken is invalid"
    )
    stub.add_response(
        "filter_log_events",
        {"events": []},
        {"logGroupName": GROUP, "startTime": 5, "endTime": 9, "limit": 1000, "filterPattern": ANY},
    )
    with stub:
        Scanner(store, settings.aws, client, clock=lambda: NOW).run(since=timedelta(hours=1))
    stub.assert_no_pending_responses()
    with store.reading() as session:
        assert session.scalar(select(func.count()).select_from(Event)) == 0  # page3 holds no error


def test_a_failing_log_group_is_reported_and_the_others_scanned(
    client: Any, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(
        AWS_REGION="us-east-1", AWS_LOG_GROUP_NAME=f"/gone,{GROUP}", CLOUDWATCH_MAX_RPS=1_000_000
    )
    page1 = _fixture("filter_log_events.page1_traceback_split.json")
    stub = Stubber(client)
    stub.add_client_error(
        "filter_log_events", "ResourceNotFoundException", "The specified log group does not exist."
    )
    stub.add_response("filter_log_events", {"events": page1["events"]})
    stub.add_response("filter_log_events", {"events": page1["events"]})
    with stub:
        summary = Scanner(_store(settings), settings.aws, client, clock=lambda: NOW).run(
            since=timedelta(hours=1)
        )
    gone, orders = summary.groups
    assert gone.error is not None
    assert gone.error.startswith("ResourceNotFoundException")
    assert orders.error is None
    assert orders.stored == 1
