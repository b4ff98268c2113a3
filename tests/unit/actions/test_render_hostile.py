"""Event text stays inert in an issue body: no fence it closes, no mention, no image, no NUL."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from autotriage.actions.render import GroupView, code_span, fenced, inert, render_issue
from autotriage.models import ErrorEvent, ExceptionInfo, Frame

NOW = datetime(2024, 3, 7, 10, 15, tzinfo=UTC)
OUR_HEADINGS = {
    "## Summary",
    "## Error",
    "## Where it broke",
    "## Suspect commit",
    "## Owners",
    "## Links",
    "## Next steps",
    "## In-app frames (most recent last)",
}
ATTACKS = [
    "```\n## Pwned heading\n@acme/everyone @octocat ![x](http://169.254.169.254/p.png)\n```",
    "````````\n# H1\n<img src=http://169.254.169.254/a.png>\n````````",
    "`` ` ``` ```` @acme/team",
    '<script>alert("x")</script><details open><summary>hi</summary>',
    "[click](javascript:alert(1)) ![i](https://evil.example/i.png)",
    "nul\x00byte | table | break\n| --- |",
]


def _outside_code(body: str) -> str:
    """The body's text outside fenced blocks and inline code spans (CommonMark rules)."""
    outside: list[str] = []
    fence: str | None = None
    for line in body.split("\n"):
        stripped = line.strip()
        if fence is None:
            opened = re.match(r"^(`{3,})", stripped)
            if opened and "`" not in stripped[len(opened[1]) :]:
                fence = opened[1]
                continue
            outside.append(line)
        elif re.fullmatch(r"`{3,}", stripped) and len(stripped) >= len(fence):
            fence = None
    text = "\n".join(outside)
    # An inline code span: a run of n backticks, then the shortest text up to the next run of
    # exactly n backticks.
    return re.sub(r"(?<!`)(`+)(?!`)(.*?)(?<!`)\1(?!`)", " ", text)


def _event(text: str) -> ErrorEvent:
    frame = Frame(filename=text, function=text, lineno=3, in_app=True, context_line=text)
    return ErrorEvent(
        source="generic",
        occurred_at=NOW,
        message=text,
        service=text,
        environment=text,
        release=text[:200],
        link="https://ok.example/1) ![x](http://169.254.169.254/x.png",
        exceptions=[ExceptionInfo(type=text, value=text, frames=[frame])],
        contexts={"log_lines": [text, text], "links": {text: "javascript:alert(1)"}},
    )


@pytest.mark.parametrize("attack", ATTACKS)
def test_event_text_is_inert_in_the_issue_body(attack: str) -> None:
    view = GroupView(1, "f" * 32, attack, "error", 2, NOW, NOW, ["generic"], service=attack)
    issue = render_issue(view, _event(attack), None)
    assert "\x00" not in issue.body and "\x00" not in issue.title
    # Markdown reads a backslash-escaped character as plain text: drop those, then look.
    prose = re.sub(r"\\.", "", _outside_code(issue.body))
    assert re.search(r"@[\w-]", prose) is None, prose
    assert "![" not in prose and "<img" not in prose and "<script" not in prose
    assert "](javascript:" not in prose  # a bare URL is text: nothing fetches it
    headings = {line for line in prose.split("\n") if line.startswith("#")}
    assert headings <= OUR_HEADINGS, headings


def test_fences_and_spans_outlast_any_backtick_run() -> None:
    assert fenced("a ``` b ````` c")[0] == "``````"
    assert code_span("x`y") == "``x`y``"
    assert code_span("`edge`") == "`` `edge` ``"
    assert inert("@org/team ![i](u) #1") == "@\u2060org/team \\!\\[i\\]\\(u\\) \\#1"
