"""The issue as rendered: title, summary, culprit, trace, footer; scrubbed and sized."""

from __future__ import annotations

from datetime import UTC, datetime

from autotriage.actions.render import BODY_LIMIT, GroupView, footer_token, render_issue
from autotriage.analysis import Analysis, Culprit, SuspectCommit
from autotriage.models import ErrorEvent, ExceptionInfo, Frame

WHEN = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def _group(count: int = 3) -> GroupView:
    return GroupView(
        id=1,
        fingerprint="f" * 32,
        title="t",
        level="error",
        count=count,
        first_seen=WHEN,
        last_seen=WHEN,
        sources=["sentry"],
        service="api",
        environment="prod",
        release="1.2.3",
    )


def _event(value: str = "division by zero", frames: int = 2) -> ErrorEvent:
    stack = [
        Frame(
            filename=f"app/m{i}.py",
            function=f"f{i}",
            lineno=i + 1,
            in_app=i % 2 == 0,
            context_line=f"x = {i}",
        )
        for i in range(frames)
    ]
    return ErrorEvent(
        source="sentry",
        message=value,
        link="https://sentry.example/issues/1",
        exceptions=[ExceptionInfo(type="ZeroDivisionError", value=value, frames=stack)],
    )


def test_title_summary_and_footer() -> None:
    draft = render_issue(_group(), _event(), None)
    assert draft.title == "[sentry] ZeroDivisionError: division by zero"
    assert "| **Occurrences** | 3 |" in draft.body
    assert "| **Release** | 1.2.3 |" in draft.body
    assert draft.body.rstrip().endswith(f"autotriage:{footer_token('f' * 32)}</sub>")
    assert "<details><summary>Full stack trace</summary>" in draft.body
    assert "[View in sentry](https://sentry.example/issues/1)" in draft.body
    assert draft.labels[:3] == ["autotriage", "source:sentry", "level:error"]


def test_analysis_shows_culprit_code_commit_and_owners() -> None:
    analysis = Analysis(
        culprit=Culprit(
            path="app/m0.py",
            line=1,
            function="f0",
            permalink="https://github.com/acme/shop/blob/abc/app/m0.py#L1",
            code=["1: x = 0"],
        ),
        suspect_commit=SuspectCommit(
            sha="abcdef1234567890",
            author_name="Ada",
            author_email="ada@example.com",
            date="2026-10-01",
            summary="Speed up totals",
            login="ada",
        ),
        owners=["@acme/payments"],
        confidence=0.85,
        reasons=["frame mapped uniquely"],
    )
    body = render_issue(_group(), _event(), analysis).body
    assert "[`app/m0.py:1`](https://github.com/acme/shop/blob/abc/app/m0.py#L1)" in body
    assert "`abcdef123456` Speed up totals — @ada" in body
    assert "@acme/payments" in body
    assert "confidence 0.85" in body


def test_long_titles_are_trimmed_and_secrets_scrubbed() -> None:
    event = _event("token ghp_abcdefghijklmnopqrstuvwxyz0123456789 " + "x" * 300)
    draft = render_issue(_group(), event, None)
    assert len(draft.title) <= 130
    assert "ghp_abcdefghij" not in draft.title + draft.body


def test_huge_events_stay_under_githubs_limit() -> None:
    draft = render_issue(_group(), _event("y" * 3000, frames=3000), None)
    assert len(draft.body) <= 65_536
    assert len(draft.body) <= BODY_LIMIT + 200
    assert "autotriage:" in draft.body
