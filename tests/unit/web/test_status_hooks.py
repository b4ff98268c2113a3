"""Status signals from Sentry and GitHub: one lifecycle, through intake's delivery dedupe.

The app is called in-process with Starlette's test client; events come in through
intake, the pipeline groups them, and the hooks change the group as a user would see.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from autotriage.config import Settings
from autotriage.intake import Intake
from autotriage.models import ErrorEvent, ExceptionInfo, utcnow
from autotriage.pipeline import process_pending
from autotriage.sources.base import signed_delivery_id
from autotriage.store import Store
from autotriage.store.tables import Action, Delivery, Group, Link
from autotriage.web.app import create_app

SENTRY_SECRET = "sentry-client-secret"
GITHUB_SECRET = "github-hook-secret"
ISSUE = "4242"


@pytest.fixture
def app(make_settings: Callable[..., Settings]) -> Iterator[tuple[TestClient, Store, Settings]]:
    settings = make_settings(
        SENTRY_CLIENT_SECRET=SENTRY_SECRET,
        GITHUB_WEBHOOK_SECRET=GITHUB_SECRET,
        GITHUB_OWNER="acme",
        GITHUB_REPO="shop",
        AUTOTRIAGE_WORKER="false",
    )
    store = Store(settings.database_url)
    store.migrate()
    with TestClient(create_app(settings, store)) as client:
        yield client, store, settings
    store.dispose()


def _occur(store: Store, settings: Settings, release: str, minutes_ago: float = 0) -> None:
    """One occurrence of Sentry issue ISSUE in `release`, grouped by the pipeline."""
    event = ErrorEvent(
        source="sentry",
        message="boom",
        release=release,
        occurred_at=utcnow() - timedelta(minutes=minutes_ago),
        exceptions=[ExceptionInfo(type="KeyError", value="'sku'")],
        contexts={"sentry": {"issue_id": ISSUE}},
    )
    Intake(store).accept("sentry", [event])
    process_pending(store, settings.pipeline)


def _sentry(client: TestClient, action: str, request_id: str, **details: Any) -> Any:
    body = json.dumps(
        {"action": action, "data": {"issue": {"id": ISSUE, "statusDetails": details}}}
    ).encode()
    signature = hmac.new(SENTRY_SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {
        "content-type": "application/json",
        "request-id": request_id,
        "sentry-hook-resource": "issue",
        "sentry-hook-timestamp": str(int(time.time())),  # checked against the clock
        "sentry-hook-signature": signature,
    }
    response = client.post("/webhook/sentry", content=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


NAMED: dict[str, str] = {}
"""A test delivery's label -> the name intake records it by (body and signature)."""


def _github(client: TestClient, action: str, delivery: str, header: str | None = None) -> Any:
    # Each of GitHub's deliveries has a body of its own (`updated_at` moves): the label
    # stands in for that; `header` sends the same body under another X-GitHub-Delivery.
    body = json.dumps(
        {
            "action": action,
            "issue": {"number": 7, "state_reason": "completed", "updated_at": delivery},
            "repository": {"full_name": "acme/shop"},
            "sender": {"login": "alice", "type": "User"},
        }
    ).encode()
    signature = "sha256=" + hmac.new(GITHUB_SECRET.encode(), body, hashlib.sha256).hexdigest()
    NAMED[delivery] = signed_delivery_id(body, signature)
    headers = {
        "x-hub-signature-256": signature,
        "x-github-event": "issues",
        "x-github-delivery": header or delivery,
        "content-type": "application/json",
    }
    response = client.post("/webhook/github", content=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def _group(store: Store) -> Group:
    with store.reading() as session:
        group = session.scalars(select(Group)).one()
        session.expunge(group)
        return group


def _link_issue_7(store: Store) -> None:
    with store.transaction() as session:
        now = utcnow()
        session.add(
            Link(
                group_id=1,
                tracker="github",
                external_id="7",
                url="u",
                state="open",
                created_at=now,
                updated_at=now,
            )
        )


def test_a_late_event_from_an_older_release_is_no_regression_after_a_sentry_resolve(
    app: tuple[TestClient, Store, Settings],
) -> None:
    client, store, settings = app
    _occur(store, settings, "1.4.0", minutes_ago=10)
    assert _sentry(client, "resolved", "r1")["status"] == "updated"
    assert _group(store).resolved_in_release == "1.4.0"
    _occur(store, settings, "1.3.9")  # a host still running the old release
    group = _group(store)
    assert (group.status, group.regressions) == ("resolved", 0)
    _occur(store, settings, "1.5.0")  # the fix did not hold
    group = _group(store)
    assert (group.status, group.regressions) == ("open", 1)


def test_a_late_event_from_an_older_release_is_no_regression_after_a_github_close(
    app: tuple[TestClient, Store, Settings],
) -> None:
    client, store, settings = app
    _occur(store, settings, "1.4.0", minutes_ago=10)
    _link_issue_7(store)
    assert _github(client, "closed", "g1")["group_status"] == "resolved"
    _occur(store, settings, "1.3.9")
    assert _group(store).status == "resolved"


def test_sentry_resolve_in_a_named_release_and_commit(
    app: tuple[TestClient, Store, Settings],
) -> None:
    client, store, settings = app
    _occur(store, settings, "1.4.0-rc1", minutes_ago=10)
    _sentry(client, "resolved", "r1", inRelease="1.4.0-rc1", inCommit={"commit": "abc1234"})
    group = _group(store)
    assert (group.resolved_in_release, group.fixed_commit) == ("1.4.0-rc1", "abc1234")
    _occur(store, settings, "1.4.0")  # the final release is newer than its candidate
    assert _group(store).status == "open"


def test_a_redelivered_sentry_status_hook_is_applied_once(
    app: tuple[TestClient, Store, Settings],
) -> None:
    client, store, settings = app
    _occur(store, settings, "1.4.0", minutes_ago=10)
    assert _sentry(client, "resolved", "r1")["status"] == "updated"
    assert _sentry(client, "unresolved", "r2")["status"] == "updated"
    # Sentry redelivers r1: it must not resolve the group again
    assert _sentry(client, "resolved", "r1")["status"] == "duplicate"
    # Request-ID is not signed: a replay under a new one is the same delivery
    assert _sentry(client, "resolved", "r3-forged")["status"] == "duplicate"
    assert _group(store).status == "open"
    with store.reading() as session:
        kept = session.scalars(
            select(Delivery.delivery_id).where(Delivery.source == "sentry:status")
        )
        assert len(set(kept)) == 2  # named by body and signature, not by Request-ID


def test_a_redelivered_github_close_is_applied_once(
    app: tuple[TestClient, Store, Settings],
) -> None:
    client, store, settings = app
    _occur(store, settings, "1.4.0", minutes_ago=10)
    _link_issue_7(store)
    assert _github(client, "closed", "g1")["status"] == "applied"
    assert _github(client, "reopened", "g2")["group_status"] == "open"
    assert _github(client, "closed", "g1") == {"status": "duplicate"}
    # X-GitHub-Delivery is not signed: a replay under a new one is the same delivery
    assert _github(client, "closed", "g1", header="g3-forged") == {"status": "duplicate"}
    assert _group(store).status == "open"
    with store.reading() as session:
        syncs = session.scalars(select(Action.idempotency_key).where(Action.kind == "github.sync"))
        assert list(syncs) == [f"github.sync:1:{NAMED['g1']}"]


def _closes_and_reopens(store: Store) -> list[tuple[str, dict[str, Any]]]:
    with store.reading() as session:
        rows = session.scalars(
            select(Action)
            .where(
                Action.idempotency_key.contains(".close:")
                | Action.idempotency_key.contains(":sentry:")
            )
            .order_by(Action.id)
        )
        return [(a.idempotency_key, dict(a.params or {})) for a in rows]


def test_a_sentry_resolve_closes_the_issues_and_an_unresolve_reopens_them(
    app: tuple[TestClient, Store, Settings],
) -> None:
    client, store, settings = app
    _occur(store, settings, "1.4.0", minutes_ago=10)
    _link_issue_7(store)  # a GitHub issue, beside the local tracker's being opened
    _sentry(client, "resolved", "r1")
    planned = _closes_and_reopens(store)
    assert [key.rsplit(":", 1)[0] for key, _ in planned] == [
        "github.close:1:sentry",
        "tracker.close:1:sentry",
    ]
    assert all(
        p == {"body": "Resolved in Sentry.", "status": "resolved", "close": "completed"}
        for _, p in planned
    )
    _sentry(client, "ignored", "r2")
    _sentry(client, "unresolved", "r3")
    with store.reading() as session:
        keys = list(
            session.scalars(
                select(Action.idempotency_key)
                .where(Action.idempotency_key.contains(":sentry:"))
                .order_by(Action.id)
            )
        )
        reopen = session.scalars(
            select(Action).where(Action.idempotency_key.startswith("github.reopen:1:sentry:"))
        ).one()
    assert len(keys) == 6  # two trackers, three changes, each once
    assert reopen.params == {"body": "Reopened in Sentry.", "status": "open", "reopen": True}


def test_a_github_close_closes_the_other_trackers_issue_but_not_its_own(
    app: tuple[TestClient, Store, Settings],
) -> None:
    client, store, settings = app
    _occur(store, settings, "1.4.0", minutes_ago=10)
    _link_issue_7(store)
    _github(client, "closed", "g1")
    _github(client, "closed", "g1")  # redelivered: nothing more
    assert _closes_and_reopens(store) == [
        (
            f"tracker.close:1:github-webhook:{NAMED['g1']}",
            {"body": "Resolved on GitHub.", "status": "resolved", "close": "completed"},
        )
    ]
    _github(client, "reopened", "g2")
    with store.reading() as session:
        reopens = list(
            session.scalars(
                select(Action.idempotency_key).where(
                    Action.idempotency_key.contains(":github-webhook:")
                )
            )
        )
    assert sorted(reopens) == [
        f"tracker.close:1:github-webhook:{NAMED['g1']}",
        f"tracker.reopen:1:github-webhook:{NAMED['g2']}",
    ]
