"""Which occurrences of a resolved group are regressions, and what issue states mean."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from autotriage.actions.github.state import apply_issue_state, is_regression
from autotriage.models import ErrorEvent
from autotriage.store.tables import Group

CLOSED = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def _group(status: str = "resolved", release: str | None = "1.4.0") -> Group:
    return Group(
        status=status,
        resolved_at=CLOSED,
        resolved_in_release=release,
        last_release=release,
        updated_at=CLOSED,
    )


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
    event = ErrorEvent(source="text", message="x", release=release, occurred_at=seen)
    assert is_regression(_group(), event) is expected


def test_without_a_release_at_close_any_later_occurrence_regresses() -> None:
    event = ErrorEvent(source="text", message="x", release="0.1", occurred_at=CLOSED + timedelta(1))
    assert is_regression(_group(release=None), event)


def test_issue_states_map_to_group_states() -> None:
    group = _group(status="open", release="2.0.0")
    assert (
        apply_issue_state(
            group,
            None,
            state="closed",
            state_reason="completed",
            closed_at=CLOSED,
        )
        == "resolved"
    )
    assert group.resolved_in_release == "2.0.0" and group.resolved_at == CLOSED
    assert (
        apply_issue_state(
            group,
            None,
            state="open",
            state_reason="reopened",
            by_person=False,
        )
        is None
    )
    assert apply_issue_state(group, None, state="open", state_reason="reopened") == "open"
    assert group.resolved_at is None
    assert apply_issue_state(group, None, state="closed", state_reason="not_planned") == "ignored"
