"""The pipeline against the fake GitHub: one issue per group, kept current, commented sparingly."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from autotriage.actions import build_handlers
from autotriage.actions.outbox import run_due, run_one
from autotriage.config import Settings
from autotriage.intake import Intake
from autotriage.models import ErrorEvent, ExceptionInfo, Frame
from autotriage.pipeline import process_pending
from autotriage.store import Store
from autotriage.store.tables import Action, Group, Link
from tests.fakes.github import FakeGitHub


def event(
    kind: str = "ZeroDivisionError", value: str = "division by zero", release: str | None = "1.0.0"
) -> ErrorEvent:
    frame = Frame(
        filename="app/pricing.py",
        function="total",
        lineno=41,
        in_app=True,
        context_line="return a / b",
    )
    return ErrorEvent(
        source="sentry",
        message=value,
        release=release,
        service="shop",
        exceptions=[ExceptionInfo(type=kind, value=value, frames=[frame])],
    )


def drain(store: Store, settings: Settings, handlers: dict | None = None) -> None:
    handlers = handlers or build_handlers(settings)
    for _ in range(50):
        if not (process_pending(store, settings.pipeline) + run_due(store, handlers)):
            return


def test_new_group_opens_one_labelled_issue_and_repeats_update_it(
    github_settings: Callable[..., Settings], fake_github: FakeGitHub
) -> None:
    settings = github_settings()
    store = Store(settings.database_url)
    store.migrate()
    intake = Intake(store)
    for _ in range(12):
        intake.accept("sentry", [event()])
    drain(store, settings)
    assert fake_github.stats.creates == 1
    issue = fake_github.issues.items[1]
    assert issue.title == "[sentry] ZeroDivisionError: division by zero"
    assert {"autotriage", "source:sentry", "level:error", "service:shop"} <= set(issue.labels)
    assert fake_github.issues.labels["level:error"]["color"] == "d93f0b"
    assert "| **Occurrences** | 12 |" in issue.body
    assert [c["body"].split("\n")[0] for c in issue.comments] == [
        "This error has now occurred 10 times."
    ]
    with store.reading() as session:
        link = session.scalars(select(Link).where(Link.tracker == "github")).one()
        assert link.external_id == "1"
    assert fake_github.stats.spacing_violations == 0
    store.dispose()


def test_a_new_release_is_commented_once_and_edits_are_rationed(
    github_settings: Callable[..., Settings], fake_github: FakeGitHub
) -> None:
    settings = github_settings()
    store = Store(settings.database_url)
    store.migrate()
    intake = Intake(store)
    intake.accept("sentry", [event(release="1.0.0")])
    drain(store, settings)
    for release in ("1.1.0", "1.1.0", "1.0.0", "1.1.0"):
        intake.accept("sentry", [event(release=release)])
        drain(store, settings)
    issue = fake_github.issues.items[1]
    notes = [c["body"].split("\n")[0] for c in issue.comments]
    assert notes == [
        "This error now also occurs in release `1.1.0`.",
        "This error now also occurs in release `1.0.0`.",
    ]
    # the body is edited at most once per five-minute bucket, not on every repeat
    edits = fake_github.stats.by_route["PATCH /repos/{owner}/{repo}/issues/{issue_number}"]
    assert 1 <= edits <= 2
    with store.reading() as session:
        kinds = session.scalars(select(Action.kind).where(Action.status != "ok")).all()
        assert kinds == []
    store.dispose()


def test_a_spike_over_the_baseline_is_commented_once(
    github_settings: Callable[..., Settings], fake_github: FakeGitHub
) -> None:
    settings = github_settings()
    store = Store(settings.database_url)
    store.migrate()
    intake = Intake(store)
    long_ago = datetime.now(UTC) - timedelta(days=2)
    old = event().model_copy(update={"occurred_at": long_ago, "received_at": long_ago})
    intake.accept("sentry", [old])
    drain(store, settings)
    for _ in range(4):
        intake.accept("sentry", [event() for _ in range(60)])
    drain(store, settings)
    notes = [c["body"].split("\n")[0] for c in fake_github.issues.items[1].comments]
    spikes = [n for n in notes if n.startswith("Spike at")]
    assert len(spikes) == 1, notes
    found = re.search(r"(\d+) in the last hour, about (\d+) times the usual 1.0 an hour", spikes[0])
    assert found is not None and 190 <= int(found.group(1)) <= 199
    store.dispose()


def test_owners_are_assigned_teams_mentioned_and_milestone_and_type_sent(
    github_settings: Callable[..., Settings], fake_github: FakeGitHub
) -> None:
    settings = github_settings(GITHUB_MILESTONE=3, GITHUB_ISSUE_TYPE="Bug")
    store = Store(settings.database_url)
    store.migrate()
    Intake(store).accept("sentry", [event()])
    process_pending(store, settings.pipeline)
    handlers = build_handlers(settings)
    assert run_one(store, handlers) is not None  # the analysis runs first
    with store.transaction() as session:
        group = session.get(Group, 1)
        assert group is not None
        group.analysis = {**(group.analysis or {}), "owners": ["@alice", "@zed", "@acme/payments"]}
    run_due(store, handlers)
    issue = fake_github.issues.items[1]
    assert issue.assignees == ["alice"]  # @zed cannot be assigned in this repository
    assert "- Owners: @alice, @zed, @acme/payments" in (issue.body or "")
    create = fake_github.issues.created_bodies[0]
    assert create["milestone"] == 3 and create["type"] == "Bug"
    store.dispose()


def test_without_webhooks_polling_notices_a_close_and_the_next_release_reopens(
    github_settings: Callable[..., Settings], fake_github: FakeGitHub
) -> None:
    settings = github_settings(GITHUB_POLL_SECONDS=1)
    store = Store(settings.database_url)
    store.migrate()
    intake = Intake(store)
    intake.accept("sentry", [event(release="1.0.0")])
    drain(store, settings)
    fake_github.person_sets_state(1, "closed", "completed", commit="f1x" * 10)  # no hook set
    intake.accept("sentry", [event(release="1.0.0")])
    drain(store, settings)
    with store.reading() as session:
        group = session.get(Group, 1)
        assert group is not None and group.status == "resolved"
        assert group.fixed_commit == "f1x" * 10 and group.resolved_in_release == "1.0.0"
    intake.accept("sentry", [event(release="1.0.1")])
    drain(store, settings)
    issue = fake_github.issues.items[1]
    assert issue.state == "open" and issue.state_reason == "reopened"
    assert "came back in release `1.0.1`" in issue.comments[-1]["body"]
    assert fake_github.stats.creates == 1
    store.dispose()
