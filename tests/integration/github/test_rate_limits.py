"""Behaving as GitHub asks: spacing, primary and secondary limits, 5xx, timeouts, ETags, 422."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from sqlalchemy import select

from autotriage.actions import build_handlers
from autotriage.actions.github.client import GitHubClient
from autotriage.actions.github.issues import IssueOps
from autotriage.actions.outbox import run_due
from autotriage.config import Settings
from autotriage.errors import ActionFailed, GitHubError
from autotriage.intake import Intake
from autotriage.pipeline import process_pending
from autotriage.store import Store
from autotriage.store.tables import Action
from tests.fakes.github import FakeGitHub, Fault
from tests.integration.github.test_issue_flow import event


def test_mutations_are_at_least_a_second_apart_by_default(
    github_settings: Callable[..., Settings], fake_github: FakeGitHub
) -> None:
    fake_github.min_spacing = 1.0
    client = GitHubClient.from_settings(github_settings(GITHUB_MUTATION_INTERVAL=1.0))
    started = time.monotonic()
    for i in range(3):
        client.write(
            client.rest.issues.create, "acme", "shop", data={"title": f"t{i}"}, idempotent=False
        )
    assert time.monotonic() - started >= 2.0
    assert fake_github.stats.spacing_violations == 0
    assert fake_github.stats.creates == 3


@pytest.mark.parametrize("kind", ["secondary", "secondary-429", "primary"])
def test_rate_limit_pauses_everything_then_retries_once_allowed(
    github_settings: Callable[..., Settings], fake_github: FakeGitHub, kind: str
) -> None:
    client = GitHubClient.from_settings(github_settings())
    fake_github.inject(Fault(kind, "POST", r"/issues$", retry_after=2))
    started = time.monotonic()
    client.write(client.rest.issues.create, "acme", "shop", data={"title": "x"}, idempotent=False)
    assert time.monotonic() - started >= 1.5
    assert fake_github.stats.creates == 1
    assert fake_github.stats.during_pause == 0
    assert client.gate.stats.pauses == 1


def test_long_pause_goes_back_to_the_outbox_without_sending_anything(
    github_settings: Callable[..., Settings], fake_github: FakeGitHub
) -> None:
    settings = github_settings()
    store = Store(settings.database_url)
    store.migrate()
    Intake(store).accept("sentry", [event()])
    process_pending(store, settings.pipeline)
    fake_github.inject(Fault("secondary", "GET", r"/labels/", retry_after=120))
    handlers = build_handlers(settings)
    run_due(store, handlers)
    sent = fake_github.stats.requests
    run_due(store, handlers)  # the action waits in the outbox; nothing is sent meanwhile
    with store.reading() as session:
        opener = session.scalars(select(Action).where(Action.kind == "github.open")).one()
        assert opener.status == "retryable"
        assert "rate limit" in (opener.detail or "")
        assert (opener.next_attempt_at - opener.updated_at).total_seconds() > 60
    assert fake_github.stats.requests == sent
    assert fake_github.stats.during_pause == 0
    assert fake_github.stats.creates == 0
    store.dispose()


def test_server_errors_and_timeouts_on_reads_and_edits_are_retried(
    github_settings: Callable[..., Settings], fake_github: FakeGitHub
) -> None:
    ops = IssueOps(GitHubClient.from_settings(github_settings(GITHUB_TIMEOUT=0.5)))
    client = ops.client
    created = client.write(
        client.rest.issues.create, "acme", "shop", data={"title": "x"}, idempotent=False
    )
    fake_github.inject(Fault("502", "GET", r"/issues/1$", times=2))
    assert ops.get(created["number"]).title == "x"
    fake_github.inject(Fault("timeout", "PATCH", r"/issues/1$", delay=1.0))
    assert ops.edit(1, body="edited").body == "edited"
    assert client.gate.stats.retries == 3


def test_conditional_reads_reuse_the_answer_and_spare_the_limit(
    github_settings: Callable[..., Settings], fake_github: FakeGitHub
) -> None:
    ops = IssueOps(GitHubClient.from_settings(github_settings()))
    assert ops.find_by_token("nothing") is None
    used = fake_github.used["token"]
    assert ops.find_by_token("nothing") is None
    assert fake_github.stats.not_modified == 1
    assert fake_github.used["token"] == used  # the 304 did not count


def test_oversized_body_is_refused_as_github_does(
    github_settings: Callable[..., Settings], fake_github: FakeGitHub
) -> None:
    client = GitHubClient.from_settings(github_settings())
    with pytest.raises(GitHubError) as caught:
        client.write(
            client.rest.issues.create,
            "acme",
            "shop",
            data={"title": "x", "body": "y" * 70_000},
            idempotent=False,
        )
    assert caught.value.status == 422 and not caught.value.retryable
    assert "too long" in caught.value.reason


def test_exhausted_primary_limit_seen_in_headers_pauses_before_the_next_request(
    github_settings: Callable[..., Settings], fake_github: FakeGitHub
) -> None:
    fake_github.rate_limit = 1
    fake_github.reset_at = int(time.time()) + 120
    client = GitHubClient.from_settings(github_settings())
    ops = IssueOps(client)
    ops.find_by_token("a")  # the answer to the list says 0 remaining
    with pytest.raises(ActionFailed) as caught:
        ops.get(1)
    assert caught.value.retryable and (caught.value.retry_after or 0) > 60
    assert fake_github.stats.during_pause == 0


@pytest.mark.postgres
def test_replicas_sharing_postgres_space_mutations_even_after_a_refused_one(
    github_settings: Callable[..., Settings], fake_github: FakeGitHub, postgres_url: str
) -> None:
    fake_github.min_spacing = 0.5
    settings = github_settings(DATABASE_URL=postgres_url, GITHUB_MUTATION_INTERVAL=0.5)
    store = Store(postgres_url)
    store.migrate()
    store.dispose()
    # two replicas' clients
    one, two = GitHubClient.from_settings(settings), GitHubClient.from_settings(settings)
    label = {"name": "autotriage", "color": "5319e7"}
    one.write(one.rest.issues.create_label, "acme", "shop", data=label, idempotent=False)
    with pytest.raises(GitHubError):  # 422: the other replica made it already
        two.write(two.rest.issues.create_label, "acme", "shop", data=label, idempotent=False)
    one.write(one.rest.issues.create, "acme", "shop", data={"title": "x"}, idempotent=False)
    two.write(two.rest.issues.create, "acme", "shop", data={"title": "y"}, idempotent=False)
    assert fake_github.stats.mutating == 4
    assert fake_github.stats.spacing_violations == 0
