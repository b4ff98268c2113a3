"""A Sentry status hook against the fake GitHub: resolving the Sentry issue closes the
group's GitHub issue, and unresolving it reopens the issue, as a console change does."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from autotriage.config import Settings
from autotriage.models import ErrorEvent, ExceptionInfo
from autotriage.web.app import create_app
from tests.fakes.github import FakeGitHub
from tests.integration.github.test_console_status import drain
from tests.unit.web.test_status_hooks import ISSUE, SENTRY_SECRET, _sentry


def test_a_sentry_resolve_closes_the_github_issue_and_an_unresolve_reopens_it(
    github_settings: Callable[..., Settings], fake_github: FakeGitHub
) -> None:
    settings = github_settings(AUTOTRIAGE_WORKER="false", SENTRY_CLIENT_SECRET=SENTRY_SECRET)
    app = create_app(settings)
    with TestClient(app, follow_redirects=False) as client:
        event = ErrorEvent(
            source="sentry",
            release="2.3.0",
            exceptions=[ExceptionInfo(type="KeyError", value="'sku'")],
            contexts={"sentry": {"issue_id": ISSUE}},
        )
        app.state.services.intake.accept("sentry", [event])
        drain(app)
        issue = fake_github.issues.items[1]
        assert issue.state == "open"
        assert _sentry(client, "resolved", "r1")["status"] == "updated"
        drain(app)
        assert (issue.state, issue.state_reason) == ("closed", "completed")
        assert issue.comments[-1]["body"].startswith("Resolved in Sentry.")
        assert _sentry(client, "unresolved", "r2")["status"] == "updated"
        drain(app)
        assert issue.state == "open"
        assert issue.comments[-1]["body"].startswith("Reopened in Sentry.")
    assert fake_github.stats.creates == 1
