"""The rendering checks themselves: each finds what it looks for, and passes what the
renderers make of the planted text (fast; the live run is `test_hostile.py`)."""

from __future__ import annotations

from html import escape

import pytest

from autotriage.actions.render import fenced, render_issue
from autotriage.models import ErrorEvent, ExceptionInfo, Frame
from tests.hostile.rendering import (
    IMG,
    MARKDOWN,
    PROSE,
    SCRIPT,
    SLACK,
    group_view,
    html_problems,
    markdown_problems,
    slack_problems,
)

OURS = '<html><head><script src="/static/console/console.js" defer></script></head>'


def test_html_check_finds_elements_and_handlers_from_event_text() -> None:
    for raw in (SCRIPT, IMG, '<a href="javascript:alert(1)">x</a>', '<p title="" onclick="x">'):
        problems, _ = html_problems(f"{OURS}<body><h1>{raw}</h1></body></html>", "page")
        assert problems, raw
    problems, shown = html_problems(f"{OURS}<body><h1>{escape(SCRIPT + IMG)}</h1>", "page")
    assert (problems, shown) == ([], True)
    assert html_problems(f"{OURS}<body>nothing planted</body>", "page") == ([], False)


@pytest.mark.parametrize(
    ("body", "finding"),
    [
        ("```\nx\n```\n## hostile-md-heading", "a heading"),
        ("text @hostile-md-org/team", "a mention"),
        ("![i](http://169.254.169.254/hostile-md.png)", "an image"),
        ("[x](https://evil.example/hostile-md-link)", "a link"),
        ("<https://evil.example/hostile-md-auto>", "a link"),
        ("see https://evil.example/hostile-md-bare", "autolinks"),
        ("| a |\n|---|\n| www.evil.example/hostile-md |", "autolinks"),
        ('<img src="http://169.254.169.254/hostile-md.png">', "raw HTML"),
        ("<script>alert('hostile-xss')</script>", "raw HTML"),
        ("````\na ````` b\n````", "a fence of 4 around a run of 5"),
    ],
)
def test_markdown_check_finds_what_event_text_must_not_make(body: str, finding: str) -> None:
    problems = markdown_problems(body, "body")
    assert any(finding in p for p in problems), problems


def test_markdown_check_passes_code_and_escaped_prose() -> None:
    body = "\n".join([*fenced(MARKDOWN), "", "`@hostile-md-user`", "", "@\u2060hostile-md"])
    assert markdown_problems(body, "body") == []


def test_the_issue_renderer_passes_the_markdown_check() -> None:
    frame = Frame(filename=f"app/{IMG}.py", function=f"f``` {MARKDOWN}", lineno=1, in_app=True)
    event = ErrorEvent(
        source="generic",
        source_event_id="e",
        message=MARKDOWN,
        service=PROSE,
        release=PROSE,
        environment=PROSE,
        exceptions=[ExceptionInfo(type=f"E{SCRIPT}", value=MARKDOWN, frames=[frame])],
    )
    group = group_view(event)
    body = render_issue(group, event, None).body
    assert "hostile-md-heading" in body
    assert markdown_problems(body, "body") == []


def test_slack_check_reads_mrkdwn_and_the_fallback_but_not_plain_text() -> None:
    post = {
        "text": f"New error: {SLACK}",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": SLACK}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "<!here>"}]},
        ],
    }
    problems, _ = slack_problems(post, "post")
    assert len(problems) == 7  # six in the fallback text, one in the context line
    escaped = SLACK.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    quiet = {"text": escaped, "blocks": [{"type": "header", "text": post["blocks"][0]["text"]}]}
    assert slack_problems(quiet, "post") == ([], True)
