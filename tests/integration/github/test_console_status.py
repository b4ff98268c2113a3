"""The console against the fake GitHub: resolving closes the issue, reopening reopens it,
and the sources page (and ``/metrics``) show the rate-limit budget the client last saw."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi import FastAPI
from fastapi.testclient import TestClient

from autotriage.actions.outbox import run_due
from autotriage.config import Settings
from autotriage.models import ErrorEvent, ExceptionInfo, Frame
from autotriage.pipeline import process_pending
from autotriage.store.audit import AuditEntry
from autotriage.store.tables import Group
from autotriage.web.app import create_app
from tests.console_data import TOKEN, login
from tests.fakes.github import FakeGitHub


def crash() -> ErrorEvent:
    frame = Frame(filename="app/pricing.py", function="total", lineno=41, in_app=True)
    return ErrorEvent(
        source="sentry",
        release="2.3.0",
        exceptions=[
            ExceptionInfo(type="ZeroDivisionError", value="division by zero", frames=[frame])
        ],
    )


def drain(app: FastAPI) -> None:
    services = app.state.services
    for _ in range(50):
        if not (
            process_pending(services.store, services.settings.pipeline)
            + run_due(services.store, services.worker.handlers)
        ):
            return


def test_console_status_changes_follow_through_to_the_github_issue(
    github_settings: Callable[..., Settings], fake_github: FakeGitHub
) -> None:
    settings = github_settings(
        AUTOTRIAGE_WORKER="false", AUTOTRIAGE_API_TOKEN=TOKEN, METRICS_TOKEN="metrics"
    )
    app = create_app(settings)
    with TestClient(app, follow_redirects=False) as client:
        app.state.services.intake.accept("sentry", [crash()])
        drain(app)
        issue = fake_github.issues.items[1]
        assert issue.state == "open"
        with app.state.store.reading() as session:
            gid = session.query(Group).one().id
        csrf = login(client, "Ana")

        def change(what: str) -> None:
            done = client.post(f"/console/groups/{gid}/status", data={"change": what, "csrf": csrf})
            assert done.status_code == 303
            drain(app)

        change("resolve_next")
        assert (issue.state, issue.state_reason) == ("closed", "completed")
        assert issue.comments[-1]["body"].startswith(
            "Resolved from the autotriage console by Ana. "
            "The fix is expected in the release after `2.3.0`."
        )
        with app.state.store.reading() as session:
            group = session.get(Group, gid)
            assert group is not None
            assert (group.status, group.resolved_in_release) == ("resolved", "2.3.0")
            assert session.query(AuditEntry).filter_by(group_id=gid).one().actor == "Ana"
        page = client.get(f"/groups/{gid}").text
        assert "(closed)" in page  # the link's state, as GitHub answered it

        change("reopen")
        assert (issue.state, issue.state_reason) == ("open", "reopened")
        with app.state.store.reading() as session:
            assert session.get(Group, gid).status == "open"  # type: ignore[union-attr]

        change("ignore")
        assert (issue.state, issue.state_reason) == ("closed", "not_planned")
        with app.state.store.reading() as session:
            assert session.get(Group, gid).status == "ignored"  # type: ignore[union-attr]

        # the budget the worker's GitHub client saw in x-ratelimit-remaining
        sources = client.get("/sources").text
        budget = re.search(r"<strong>(\d+)</strong> requests left", sources)
        assert budget is not None
        assert 0 < int(budget.group(1)) < fake_github.rate_limit
        scraped = client.get("/metrics", headers={"authorization": "Bearer metrics"}).text
        assert f"autotriage_github_rate_limit_remaining {float(budget.group(1))}" in scraped
    assert fake_github.stats.creates == 1
