"""The group lifecycle: which occurrences are regressions, what each signal does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from autotriage.actions.github.signals import issue_signal
from autotriage.lifecycle import (
    Decision,
    Signal,
    Status,
    apply,
    decide,
    ignore,
    is_regression,
    reopen,
    resolve,
)
from autotriage.models import ErrorEvent
from autotriage.store.tables import Group

CLOSED = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
LATER = CLOSED + timedelta(minutes=5)


def _group(status: str = "resolved", release: str | None = "1.4.0") -> Group:
    return Group(
        id=1,
        status=status,
        resolved_at=CLOSED,
        resolved_in_release=release,
        last_release=release,
        updated_at=CLOSED,
        regressions=0,
    )


def _event(release: str | None, at: datetime = LATER) -> ErrorEvent:
    return ErrorEvent(source="text", message="x", release=release, occurred_at=at)


@pytest.mark.parametrize(
    ("release", "after", "expected"),
    [
        ("1.5.0", True, True),
        ("1.10.0", True, True),  # numeric, not lexical, order
        ("1.4.0", True, False),  # the release running when it was closed
        ("1.3.9", True, False),  # older than the fix
        ("v1.3.0", True, False),
        ("1.5.0", False, False),  # happened before the issue was closed: a late delivery
        ("abc123", True, True),  # cannot order: a new release counts
        (None, True, True),
    ],
)
def test_is_regression(release: str | None, after: bool, expected: bool) -> None:
    seen = CLOSED + (timedelta(minutes=5) if after else -timedelta(minutes=5))
    assert is_regression(_group(), _event(release, seen)) is expected


@pytest.mark.parametrize(
    ("fixed_in", "release", "expected"),
    [
        # equal version numbers, different strings: pre-releases come before the release
        ("1.4.0-rc1", "1.4.0", True),
        ("1.4.0-rc.1", "1.4.0-rc.2", True),
        ("1.4.0-rc.2", "1.4.0-rc.10", True),  # numeric pre-release identifiers
        ("1.4.0-beta", "1.4.0-alpha", False),
        ("1.4.0", "1.4.0-rc1", False),  # a pre-release of the fixed version is older
        ("1.4.0rc1", "1.4.0", True),  # PEP 440 spelling
        ("1.4.0.dev1", "1.4.0a1", True),
        ("1.4.0.post1", "1.4.0", False),
        # build metadata does not order (SemVer): another build of the same version
        ("1.4.0+build.5", "1.4.0", False),
        ("1.4.0", "1.4.0+build.6", False),
        ("v1.4.0", "1.4.0", False),  # the same version, spelt with a v
        ("1.4", "1.4.0", False),  # the same version, spelt short
        ("1.4", "1.4.1", True),
        # commit SHAs have no order: a different one always counts as new
        ("3f2a9c1", "1b2c3d4", True),
        ("1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e", "3f2a9c1", True),
        ("1.4.0", "deadbeefcafe", True),
    ],
)
def test_release_order_after_a_resolve(fixed_in: str, release: str, expected: bool) -> None:
    assert is_regression(_group(release=fixed_in), _event(release)) is expected


def test_without_a_release_at_close_any_later_occurrence_regresses() -> None:
    assert is_regression(_group(release=None), _event("0.1", CLOSED + timedelta(1)))


def test_decide_follows_the_group_status() -> None:
    assert decide(None, _event("1.0")) is Decision.NEW
    assert decide(_group(status="ignored"), _event("9.0")) is Decision.IGNORED
    assert decide(_group(status="open"), _event("1.0")) is Decision.REPEAT
    assert decide(_group(), _event("1.5.0")) is Decision.REGRESSION
    assert decide(_group(), _event("1.3.0")) is Decision.OLD_RELEASE


def test_resolve_records_the_release_then_current_or_the_one_given() -> None:
    group = _group(status="open", release="2.0.0")
    group.resolved_at = group.resolved_in_release = None
    assert resolve(group, source="sentry", now=LATER)
    assert (group.resolved_in_release, group.resolved_at) == ("2.0.0", LATER)
    assert not resolve(group, source="github", now=LATER, release="9.9", fixed_commit="abc")
    assert group.resolved_in_release == "2.0.0" and group.fixed_commit == "abc"
    other = _group(status="open", release="2.0.0")
    assert resolve(other, source="sentry", now=LATER, at=CLOSED, release="2.1.0")
    assert (other.resolved_in_release, other.resolved_at) == ("2.1.0", CLOSED)


def test_ignore_and_reopen() -> None:
    group = _group()
    group.fixed_commit = "abc"
    assert ignore(group, source="sentry", now=LATER) and group.status == "ignored"
    assert not ignore(group, source="sentry", now=LATER)
    assert reopen(group, source="github", now=LATER) and group.status == "open"
    assert (group.resolved_at, group.resolved_in_release, group.fixed_commit) == (None,) * 3
    assert not reopen(group, source="github", now=LATER)


def test_github_issue_states_map_to_signals() -> None:
    group = _group(status="open", release="2.0.0")
    signal = issue_signal("closed", "completed", closed_at=CLOSED)
    assert signal == Signal(Status.RESOLVED, "github", at=CLOSED)
    assert apply(group, signal, LATER)
    assert group.resolved_in_release == "2.0.0" and group.resolved_at == CLOSED
    assert issue_signal("open", "reopened", by_person=False) is None
    assert apply(group, Signal(Status.OPEN, "github"), LATER) and group.resolved_at is None
    ignored = issue_signal("closed", "not_planned")
    assert ignored is not None and apply(group, ignored, LATER) and group.status == "ignored"
    assert issue_signal("closed", "duplicate") == Signal(Status.IGNORED, "github")
