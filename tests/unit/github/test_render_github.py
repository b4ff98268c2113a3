"""The issue as GitHub gets it: sized by dropping the least useful parts first, people, labels."""

from __future__ import annotations

from datetime import UTC, datetime

from autotriage.actions.render import (
    BODY_LIMIT,
    GroupView,
    RenderOptions,
    footer_token,
    label_color,
    render_issue,
)
from autotriage.analysis import Analysis, Culprit, SuspectCommit
from autotriage.models import ErrorEvent, ExceptionInfo, Frame

WHEN = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
GROUP = GroupView(
    id=1,
    fingerprint="f" * 32,
    title="t",
    level="error",
    count=7,
    first_seen=WHEN,
    last_seen=WHEN,
    sources=["cloudwatch"],
    service="api",
)


def _event(frames: int = 3, log_lines: int = 0, value: str = "boom") -> ErrorEvent:
    stack = [
        Frame(
            filename=f"app/m{i}.py",
            function=f"f{i}",
            lineno=i + 1,
            in_app=True,
            context_line="x" * 80,
        )
        for i in range(frames)
    ]
    return ErrorEvent(
        source="cloudwatch",
        message=value,
        link="https://console.example/logs?q=1",
        contexts={"log_lines": [f"line {i} " + "y" * 100 for i in range(log_lines)]},
        exceptions=[ExceptionInfo(type="RuntimeError", value=value, frames=stack)],
    )


def _analysis(owners: list[str]) -> Analysis:
    return Analysis(
        culprit=Culprit(
            path="app/m2.py",
            line=3,
            permalink="https://gh.example/blob/abc/app/m2.py#L3",
            code=["3: x = 1"],
        ),
        suspect_commit=SuspectCommit(
            sha="a" * 40,
            author_name="Al",
            author_email="al@example.com",
            date="2026-10-01",
            summary="tweak",
            login="al",
        ),
        owners=owners,
        confidence=0.8,
        reasons=["blame"],
    )


def test_small_issue_is_whole_with_links_people_and_footer() -> None:
    draft = render_issue(
        GROUP, _event(log_lines=3), _analysis(["@alice", "@acme/payments", "ops@example.com"])
    )
    assert draft.assignees == ["alice"]
    assert draft.mentions == ["@acme/payments"]
    assert "- Owners: @alice, @acme/payments" in draft.body
    assert "[View in cloudwatch](https://console.example/logs?q=1)" in draft.body
    assert "Related log lines" in draft.body and "truncated" not in draft.body
    assert draft.body.endswith(f"<sub>autotriage:{footer_token(GROUP.fingerprint)}</sub>")
    assert draft.labels == ["autotriage", "source:cloudwatch", "level:error", "service:api"]


def test_options_turn_assignment_and_mentions_off_or_add_the_commit_author() -> None:
    analysis = _analysis(["@alice", "@acme/payments"])
    off = render_issue(
        GROUP, _event(), analysis, RenderOptions(assign_owners=False, mention_teams=False)
    )
    assert off.assignees == [] and off.mentions == [] and "Owners:" not in off.body
    author = render_issue(GROUP, _event(), analysis, RenderOptions(assign_commit_author=True))
    assert author.assignees == ["alice", "al"]


def test_huge_event_is_cut_least_useful_first_and_stays_under_the_limit() -> None:
    draft = render_issue(
        GROUP, _event(frames=600, log_lines=2000, value="v" * 30_000), _analysis(["@alice"])
    )
    assert len(draft.body) <= BODY_LIMIT < 65_536
    assert "| **Occurrences** | 7 |" in draft.body  # the summary is never cut
    assert "## Where it broke" in draft.body  # nor the culprit, cut after the trace
    assert "- Owners: @alice" in draft.body and "## Links" in draft.body
    assert draft.body.endswith(f"autotriage:{footer_token(GROUP.fingerprint)}</sub>")
    assert "Related log lines" not in draft.body or draft.body.count("truncated") >= 1
    # the log lines went before the trace: the trace's start is still there
    assert 'File "app/m0.py", line 1, in f0' in draft.body
    assert draft.body.count("```") % 2 == 0  # every code fence the cuts opened is closed


def test_label_colours() -> None:
    assert label_color("autotriage") == "5319e7"
    assert label_color("level:fatal") == "b60205"
    assert label_color("service:checkout") == "bfd4f2"
    assert label_color("other") == "ededed"
