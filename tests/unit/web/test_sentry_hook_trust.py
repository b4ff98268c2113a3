"""Signed Sentry hooks at ``/webhook/sentry``: the timestamp window, replays, and issue ids
that must never steer the call autotriage makes to Sentry's API with its token.

The app runs in-process on a clock the test sets; the one outbound call (the latest event
of an ``issue.created``) is answered by an ``httpx.MockTransport`` that records it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from autotriage.config import Settings
from autotriage.intake import Intake
from autotriage.models import ErrorEvent, ExceptionInfo
from autotriage.pipeline import process_pending
from autotriage.services import build_services
from autotriage.store import Store
from autotriage.store.tables import Delivery, Event, Group
from autotriage.web.app import create_app
from autotriage.web.routes import sentry as sentry_routes

SECRET = "sentry-client-secret"
ISSUE = "4242"
NOW = 1_795_917_600.0
SKEW = 300
LATEST = {
    "eventID": "a" * 32,
    "groupID": ISSUE,
    "title": "KeyError: 'sku'",
    "entries": [
        {
            "type": "exception",
            "data": {
                "values": [
                    {
                        "type": "KeyError",
                        "value": "'sku'",
                        "stacktrace": {
                            "frames": [{"filename": "shop/cart.py", "lineNo": 7, "inApp": True}]
                        },
                    }
                ]
            },
        }
    ],
}


@dataclass
class Harness:
    client: TestClient
    store: Store
    settings: Settings
    now: list[float]
    sent: list[httpx.Request] = field(default_factory=list)


@pytest.fixture
def harness(make_settings: Callable[..., Settings]) -> Iterator[Harness]:
    settings = make_settings(
        SENTRY_CLIENT_SECRET=SECRET,
        SENTRY_AUTH_TOKEN="sntrys_test_token",
        SENTRY_URL="http://sentry.test",
        WEBHOOK_MAX_SKEW_SECONDS=str(SKEW),
        AUTOTRIAGE_WORKER="false",
    )
    store = Store(settings.database_url)
    store.migrate()
    now = [NOW]
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json=LATEST)

    # The seam every outbound call goes through: the latest-event fetch is the only one here.
    services = build_services(
        settings, store=store, clock=lambda: now[0], transport=httpx.MockTransport(answer)
    )
    harness = Harness(TestClient(create_app(services)), store, settings, now, sent)
    with harness.client:
        yield harness
    store.dispose()


def _post(harness: Harness, body: bytes, sent_at: float, resource: str = "issue") -> Any:
    headers = {
        "content-type": "application/json",
        "sentry-hook-resource": resource,
        "sentry-hook-timestamp": str(int(sent_at)),
        "sentry-hook-signature": hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest(),
    }
    return harness.client.post("/webhook/sentry", content=body, headers=headers)


def _status_body(action: str) -> bytes:
    return json.dumps({"action": action, "data": {"issue": {"id": ISSUE}}}).encode()


def _an_open_group(harness: Harness) -> None:
    event = ErrorEvent(
        source="sentry",
        message="boom",
        exceptions=[ExceptionInfo(type="KeyError", value="'sku'")],
        contexts={"sentry": {"issue_id": ISSUE}},
    )
    Intake(harness.store).accept("sentry", [event])
    process_pending(harness.store, harness.settings.pipeline)


def _status(harness: Harness) -> str:
    with harness.store.reading() as session:
        return session.scalars(select(Group.status)).one()


def _count(harness: Harness, table: type[Delivery] | type[Event]) -> int:
    with harness.store.reading() as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


@pytest.mark.parametrize("offset", [-SKEW - 1, SKEW + 1, -86_400, -NOW])
def test_a_status_hook_outside_the_window_is_refused_with_the_reason(
    harness: Harness, offset: float
) -> None:
    _an_open_group(harness)
    response = _post(harness, _status_body("resolved"), NOW + offset)
    assert response.status_code == 401
    assert "Sentry-Hook-Timestamp is outside the allowed window" in response.text
    assert _status(harness) == "open"
    assert _count(harness, Delivery) == 0  # no delivery claimed: a later real one still counts


@pytest.mark.parametrize("offset", [-SKEW, 0, SKEW])
def test_a_status_hook_inside_the_window_is_applied(harness: Harness, offset: float) -> None:
    _an_open_group(harness)
    response = _post(harness, _status_body("resolved"), NOW + offset)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "updated"
    assert _status(harness) == "resolved"


def test_a_hook_without_a_timestamp_is_refused(harness: Harness) -> None:
    body = _status_body("resolved")
    headers = {
        "sentry-hook-resource": "issue",
        "sentry-hook-signature": hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest(),
    }
    response = harness.client.post("/webhook/sentry", content=body, headers=headers)
    assert response.status_code == 401
    assert "Sentry-Hook-Timestamp is missing" in response.text


def test_a_captured_status_hook_replayed_with_a_fresh_timestamp_changes_nothing(
    harness: Harness,
) -> None:
    _an_open_group(harness)
    resolved = _status_body("resolved")
    assert _post(harness, resolved, NOW).json()["status"] == "updated"
    assert _post(harness, _status_body("unresolved"), NOW + 5).json()["status"] == "updated"
    # The signature covers the body alone: an attacker can always send a fresh timestamp.
    harness.now[0] = NOW + 3600
    replay = _post(harness, resolved, NOW + 3600)
    assert replay.status_code == 200
    assert replay.json() == {"status": "duplicate", "groups": []}
    assert _status(harness) == "open"
    stale = _post(harness, resolved, NOW)  # the captured timestamp itself is stale by now
    assert stale.status_code == 401
    assert _status(harness) == "open"


def _created_body(issue_id: object) -> bytes:
    issue = {
        "id": issue_id,
        "title": "KeyError: 'sku'",
        "metadata": {"type": "KeyError", "value": "'sku'"},
        "project": {"slug": "shop"},
    }
    return json.dumps({"action": "created", "data": {"issue": issue}}).encode()


@pytest.mark.parametrize(
    "issue_id",
    [
        "1?cursor=x&",
        "1%2F..%2F..%2Fusers",
        "https://sentry.test/api/0/users/",
        "../users",
        "1/../../users",
        "1#",
        " 1",
        "1\n",
        "\uff11\uff12",  # fullwidth digits: str.isdigit() alone says yes
        "\u00b2",  # superscript two: also a "digit"
        "-1",
    ],
)
def test_an_issue_id_that_is_not_digits_never_reaches_the_sentry_api(
    harness: Harness, issue_id: str
) -> None:
    response = _post(harness, _created_body(issue_id), NOW)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "accepted"  # the issue is kept, without frames
    assert harness.sent == []


def test_a_digits_issue_id_fetches_exactly_its_latest_event(harness: Harness) -> None:
    response = _post(harness, _created_body(ISSUE), NOW)
    assert response.status_code == 200, response.text
    (request,) = harness.sent
    assert str(request.url) == f"http://sentry.test/api/0/issues/{ISSUE}/events/latest/"
    assert request.headers["authorization"] == "Bearer sntrys_test_token"
    with harness.store.reading() as session:
        assert session.scalar(select(func.count()).select_from(Event)) == 1


def test_the_latest_event_fetch_goes_through_the_shared_seam_within_its_budget(
    harness: Harness,
) -> None:
    response = _post(harness, _created_body(ISSUE), NOW)
    assert response.status_code == 200, response.text
    (request,) = harness.sent  # answered by the transport handed to build_services
    budget = sentry_routes.FETCH_BUDGET_SECONDS
    assert request.extensions["timeout"] == {
        "connect": budget,
        "read": budget,
        "write": budget,
        "pool": budget,
    }
    with harness.store.reading() as session:
        stored = session.scalars(select(Event.payload)).one()
    assert "shop/cart.py" in json.dumps(stored)  # the frames came from the fake Sentry


def test_a_fetch_past_its_budget_keeps_the_hook_without_frames(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(
        SENTRY_CLIENT_SECRET=SECRET,
        SENTRY_AUTH_TOKEN="sntrys_test_token",
        SENTRY_URL="http://sentry.test",
        AUTOTRIAGE_WORKER="false",
    )
    timeouts: list[object] = []

    def too_slow(request: httpx.Request) -> httpx.Response:
        timeouts.append(request.extensions["timeout"]["read"])
        raise httpx.ReadTimeout("budget spent", request=request)

    store = Store(settings.database_url)
    store.migrate()
    services = build_services(
        settings, store=store, clock=lambda: NOW, transport=httpx.MockTransport(too_slow)
    )
    with TestClient(create_app(services)) as client:
        harness = Harness(client, store, settings, [NOW])
        response = _post(harness, _created_body(ISSUE), NOW)
    store.dispose()
    assert response.status_code == 200, response.text
    assert response.json()["events"] == 1
    assert timeouts == [sentry_routes.FETCH_BUDGET_SECONDS]
