"""A console status change closes or reopens the group's issue (the local tracker here)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from autotriage.actions import build_handlers
from autotriage.actions.outbox import run_due
from autotriage.store.audit import AuditEntry
from autotriage.store.groups import tracker_item
from autotriage.store.tables import Action, Link
from tests.console_data import login


def run_outbox(app: FastAPI) -> None:
    services = app.state.services
    handlers = build_handlers(services.actions)
    while run_due(services.store, handlers, limit=100):
        pass


def item_state(app: FastAPI, gid: int) -> tuple[str, str | None, list[str]]:
    with app.state.store.reading() as session:
        item = tracker_item(session, gid)
        assert item is not None
        link = session.query(Link).filter_by(group_id=gid).one()
        assert link.state == item.state
        return item.state, item.state_reason, [c["body"] for c in item.comments]


def change(client: TestClient, csrf: str, gid: int, what: str) -> None:
    response = client.post(f"/console/groups/{gid}/status", data={"change": what, "csrf": csrf})
    assert response.status_code == 303


def test_resolve_closes_the_issue_and_reopen_reopens_it(
    app: FastAPI, client: TestClient, ids: dict[str, int]
) -> None:
    csrf = login(client, "Ana")
    gid = ids["keyerror"]
    run_outbox(app)  # the issue is opened
    assert item_state(app, gid)[:2] == ("open", None)

    change(client, csrf, gid, "resolve_next")
    with app.state.store.reading() as session:
        audit = session.query(AuditEntry).filter_by(group_id=gid).one()
        assert audit.actor == "Ana"
        (key,) = audit.detail["issues"]
        close = session.query(Action).filter_by(idempotency_key=key).one()
        assert (close.kind, close.params["close"]) == ("tracker.comment", "completed")
    run_outbox(app)
    state, reason, comments = item_state(app, gid)
    assert (state, reason) == ("closed", "completed")
    assert comments[-1] == (
        "Resolved from the autotriage console by Ana. "
        "The fix is expected in the release after `1.4.0`."
    )

    change(client, csrf, gid, "reopen")
    run_outbox(app)
    state, reason, comments = item_state(app, gid)
    assert (state, reason) == ("open", "reopened")
    assert comments[-1] == "Reopened from the autotriage console by Ana."

    change(client, csrf, gid, "ignore")
    run_outbox(app)
    assert item_state(app, gid)[:2] == ("closed", "not_planned")


def test_a_change_overtaken_by_a_later_one_does_nothing(
    app: FastAPI, client: TestClient, ids: dict[str, int]
) -> None:
    csrf = login(client)
    gid = ids["timeout"]
    run_outbox(app)
    change(client, csrf, gid, "resolve")
    change(client, csrf, gid, "reopen")  # before the close ran
    run_outbox(app)
    state, _, comments = item_state(app, gid)
    assert state == "open"
    assert comments[-1].startswith("Reopened from the autotriage console")
    assert not any(c.startswith("Resolved") for c in comments)
    with app.state.store.reading() as session:
        details = [a.detail or "" for a in session.query(Action).filter_by(group_id=gid)]
    assert any(d.startswith("superseded: the group is open now") for d in details)


def test_bulk_ignore_closes_each_issue(
    app: FastAPI, client: TestClient, ids: dict[str, int]
) -> None:
    csrf = login(client)
    two = [ids["staging"], ids["xss"]]
    run_outbox(app)
    client.post("/console/bulk", data={"change": "ignore", "group": two, "csrf": csrf})
    run_outbox(app)
    assert [item_state(app, gid)[:2] for gid in two] == [("closed", "not_planned")] * 2
