"""Event text quoted in issue comments and in the analysis line stays inert Markdown: a
release or environment holding backticks cannot close its code span, and frame paths in
the analysis reasons are escaped (found by the hostile corpus's rendering check, issue 16).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from autotriage.actions.render import render_issue
from autotriage.analysis import Analysis
from autotriage.config import Settings
from autotriage.lifecycle import Decision, news_comments, plan_actions
from autotriage.models import ErrorEvent, ExceptionInfo
from autotriage.store.tables import Group
from autotriage.web.console.changes import _issue_note
from tests.hostile.rendering import PROSE, group_view, markdown_problems

NOW = datetime(2026, 12, 4, 18, 0, tzinfo=UTC)
HOSTILE = [f"`` {PROSE} `", f"` {PROSE}", f"```{PROSE}````"]


def _event(release: str) -> ErrorEvent:
    exc = ExceptionInfo(type="HostileError", value="boom")
    return ErrorEvent(source="generic", source_event_id="e", release=release, exceptions=[exc])


@pytest.mark.parametrize("value", HOSTILE)
def test_news_and_regression_comments_quote_event_text_inertly(
    make_settings: Callable[..., Settings], value: str
) -> None:
    settings = make_settings().pipeline
    group = Group(id=5, regressions=1, count=3)
    bodies = [
        str(a.params["body"])
        for a in news_comments([("release", value), ("environment", value)], group, 1, settings)
    ]
    regression = plan_actions(Decision.REGRESSION, group, _event(value), 1, settings, NOW)
    bodies += [str(a.params["body"]) for a in regression if a.params and "body" in a.params]
    assert len(bodies) == 3
    for body in bodies:
        assert markdown_problems(body, "comment") == []
        assert "hostile-md-user" in body  # quoted, not dropped


@pytest.mark.parametrize("value", HOSTILE)
def test_the_console_note_quotes_the_release_inertly(value: str) -> None:
    note = _issue_note("resolve_next", "alice", value)
    assert markdown_problems(note, "note") == []
    assert "hostile-md-user" in note


def test_analysis_reasons_quoting_frame_paths_are_escaped() -> None:
    event = _event("1.0")
    group = group_view(event)
    analysis = Analysis(confidence=0.2, reasons=[f"in-app frames not mapped: app/{PROSE}.py"])
    body = render_issue(group, event, analysis).body
    assert "Analysis confidence 0.20" in body
    assert markdown_problems(body, "body") == []
