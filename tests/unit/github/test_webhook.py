"""POST /webhook/github: signature, delivery dedupe, and issue states applied to groups.

The app is called in-process with Starlette's test client (its lifespan builds intake,
which the route hands the status signal to; no worker runs).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from autotriage.config import Settings
from autotriage.intake import Intake
from autotriage.models import ErrorEvent, ExceptionInfo, utcnow
from autotriage.pipeline import process_pending
from autotriage.store import Store
from autotriage.store.tables import Action, Group, Link
from autotriage.web.app import create_app

SECRET = "hook-secret"


@pytest.fixture
def setup(make_settings: Callable[..., Settings]) -> Iterator[tuple[TestClient, Store]]:
    settings = make_settings(
        GITHUB_WEBHOOK_SECRET=SECRET,
        GITHUB_OWNER="acme",
        GITHUB_REPO="shop",
        AUTOTRIAGE_WORKER="false",
    )
    store = Store(settings.database_url)
    store.migrate()
    Intake(store).accept(
        "text",
        [
            ErrorEvent(
                source="text",
                message="x",
                release="1.0",
                exceptions=[ExceptionInfo(type="KeyError", value="k")],
            )
        ],
    )
    process_pending(store, settings.pipeline)
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
    with TestClient(create_app(settings, store)) as client:
        yield client, store
    store.dispose()


def _post(
    client: TestClient,
    body: dict[str, Any],
    delivery: str = "d1",
    event: str = "issues",
    secret: str = SECRET,
) -> Any:
    raw = json.dumps(body).encode()
    sig = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return client.post(
        "/webhook/github",
        content=raw,
        headers={
            "x-hub-signature-256": sig,
            "x-github-event": event,
            "x-github-delivery": delivery,
            "content-type": "application/json",
        },
    )


def _issue_event(
    action: str,
    reason: str | None,
    sender_type: str = "User",
    repo: str = "acme/shop",
    number: int = 7,
) -> dict[str, Any]:
    return {
        "action": action,
        "issue": {"number": number, "state_reason": reason, "closed_at": "2026-11-29T01:00:00Z"},
        "repository": {"full_name": repo},
        "sender": {"login": "alice", "type": sender_type},
    }


def _status(store: Store) -> str:
    with store.reading() as session:
        return session.scalars(select(Group.status)).one()


def test_signature_is_required(setup: tuple[TestClient, Store]) -> None:
    client, store = setup
    response = _post(client, _issue_event("closed", "completed"), secret="wrong")
    assert response.status_code == 401
    assert "X-Hub-Signature-256" in response.json()["error"]["message"]
    assert _status(store) == "open"


def test_closed_completed_resolves_once_per_delivery(setup: tuple[TestClient, Store]) -> None:
    client, store = setup
    first = _post(client, _issue_event("closed", "completed"))
    assert first.json() == {"status": "applied", "group": 1, "group_status": "resolved"}
    assert _post(client, _issue_event("closed", "completed")).json() == {"status": "duplicate"}
    with store.reading() as session:
        group = session.get(Group, 1)
        assert group is not None and group.resolved_in_release == "1.0"
        assert group.resolved_at is not None and group.resolved_at.hour == 1
        syncs = session.scalars(select(Action).where(Action.kind == "github.sync")).all()
        assert len(syncs) == 1  # reads the closing commit later, through the outbox
        assert session.scalars(select(Link.state)).one() == "closed"


def test_not_planned_ignores_and_reopen_needs_a_person(setup: tuple[TestClient, Store]) -> None:
    client, store = setup
    _post(client, _issue_event("closed", "not_planned"), delivery="a")
    assert _status(store) == "ignored"
    _post(client, _issue_event("reopened", "reopened", sender_type="Bot"), delivery="b")
    assert _status(store) == "ignored"
    _post(client, _issue_event("reopened", "reopened"), delivery="c")
    assert _status(store) == "open"


def test_other_repositories_events_and_unknown_issues_are_ignored(
    setup: tuple[TestClient, Store],
) -> None:
    client, store = setup
    assert (
        _post(client, _issue_event("closed", "completed", repo="x/y"), "e1").json()["status"]
        == "ignored"
    )
    assert (
        _post(client, _issue_event("closed", "completed", number=99), "e2").json()["status"]
        == "ignored"
    )
    assert _post(client, _issue_event("labeled", None), "e3").json()["status"] == "ignored"
    assert _post(client, {"zen": "hi"}, "e4", event="ping").json()["status"] == "ok"
    assert _post(client, {"x": 1}, "e5", event="push").json()["status"] == "ignored"
    assert _status(store) == "open"
    bad = client.post(
        "/webhook/github",
        content=b"{",
        headers={
            "x-hub-signature-256": "sha256="
            + hmac.new(SECRET.encode(), b"{", hashlib.sha256).hexdigest(),
            "x-github-event": "issues",
            "x-github-delivery": "e6",
        },
    )
    assert bad.status_code == 400


def test_without_a_configured_repository_a_none_none_delivery_changes_nothing(
    make_settings: Callable[..., Settings],
) -> None:
    # An unset GITHUB_OWNER/GITHUB_REPO once formatted as "None/None", which a delivery
    # naming that repository matched.
    settings = make_settings(GITHUB_WEBHOOK_SECRET=SECRET, AUTOTRIAGE_WORKER="false")
    assert settings.github_owner is None and settings.github_repo is None
    store = Store(settings.database_url)
    store.migrate()
    Intake(store).accept(
        "text",
        [ErrorEvent(source="text", message="x", exceptions=[ExceptionInfo(type="E", value="v")])],
    )
    process_pending(store, settings.pipeline)
    now = utcnow()
    with store.transaction() as session:
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
    try:
        with TestClient(create_app(settings, store)) as client:
            for repo in ("None/None", "none/none", "/"):
                response = _post(client, _issue_event("closed", "completed", repo=repo), repo)
                assert response.status_code == 200
                assert response.json()["status"] == "ignored"
                assert "not configured" in response.text
        assert _status(store) == "open"
        with store.reading() as session:
            assert session.scalars(select(Link.state)).one() == "open"
    finally:
        store.dispose()
