"""'Assign to me' against the fake GitHub: the issue gets the operator's GitHub login as an
assignee through the outbox (``POST .../assignees``), and unassigning removes it."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select

from autotriage.actions.kinds import ActionKind
from autotriage.config import Settings
from autotriage.store.audit import AuditEntry
from autotriage.store.tables import Action, Group
from autotriage.web.app import create_app
from tests.console_data import TOKEN, csrf_of
from tests.fakes.github import FakeGitHub
from tests.integration.github.test_console_status import crash, drain


def test_assign_to_me_assigns_and_unassigns_the_github_issue(
    github_settings: Callable[..., Settings], fake_github: FakeGitHub
) -> None:
    app = create_app(github_settings(AUTOTRIAGE_WORKER="false", AUTOTRIAGE_API_TOKEN=TOKEN))
    with TestClient(app, follow_redirects=False) as client:
        app.state.services.intake.accept("sentry", [crash()])
        drain(app)
        issue = fake_github.issues.items[1]
        assert issue.assignees == []
        with app.state.store.reading() as session:
            gid = session.scalars(select(Group.id)).one()
        # no display name: it defaults to the GitHub login
        done = client.post("/login", data={"github": "@bob", "token": TOKEN, "next": "/"})
        assert done.status_code == 303
        csrf = csrf_of(client.get("/").text)

        def post(change: str) -> None:
            sent = client.post(
                f"/console/groups/{gid}/assign", data={"change": change, "csrf": csrf}
            )
            assert sent.status_code == 303
            drain(app)

        post("assign")
        assert issue.assignees == ["bob"]
        with app.state.store.reading() as session:
            assert session.get(Group, gid).assignee == "bob"  # type: ignore[union-attr]
            action = session.scalars(
                select(Action).where(Action.kind == ActionKind.GITHUB_ASSIGN)
            ).one()
            assert action.status == "ok", action.detail
            entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "assign")).one()
            assert entry.detail["github"] == "bob" and entry.detail["key"] == action.idempotency_key
        post("unassign")
        assert issue.assignees == []
        with app.state.store.reading() as session:
            assert session.get(Group, gid).assignee is None  # type: ignore[union-attr]


def test_a_login_github_refuses_is_a_failed_action_and_a_bad_login_a_400(
    github_settings: Callable[..., Settings], fake_github: FakeGitHub
) -> None:
    app = create_app(github_settings(AUTOTRIAGE_WORKER="false", AUTOTRIAGE_API_TOKEN=TOKEN))
    with TestClient(app, follow_redirects=False) as client:
        bad = client.post("/login", data={"github": "not a login!", "token": TOKEN})
        assert bad.status_code == 400 and "GitHub login" in bad.text
        app.state.services.intake.accept("sentry", [crash()])
        drain(app)
        client.post("/login", data={"name": "Zed", "github": "zed", "token": TOKEN, "next": "/"})
        csrf = csrf_of(client.get("/").text)
        with app.state.store.reading() as session:
            gid = session.scalars(select(Group.id)).one()
        client.post(f"/console/groups/{gid}/assign", data={"change": "assign", "csrf": csrf})
        drain(app)
        assert fake_github.issues.items[1].assignees == []  # no push access: GitHub drops it
        with app.state.store.reading() as session:
            assert session.get(Group, gid).assignee == "Zed"  # type: ignore[union-attr]
            action = session.scalars(
                select(Action).where(Action.kind == ActionKind.GITHUB_ASSIGN)
            ).one()
            assert action.status == "permanent" and "did not assign zed" in (action.detail or "")
