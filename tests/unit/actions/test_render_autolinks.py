"""Event text in Markdown prose (service, environment, release, link names) makes no link
on GitHub, which autolinks bare ``https://`` and ``www.`` URLs in text (GFM's extended
autolinks): found by the hostile corpus's rendering check, issue 16."""

from __future__ import annotations

import pytest

from autotriage.actions.render import inert, render_issue
from autotriage.models import ErrorEvent, ExceptionInfo
from tests.hostile.rendering import group_view, markdown_problems


@pytest.mark.parametrize(
    "text",
    [
        "https://evil.example/hostile-md-a",
        "see HTTP://evil.example/hostile-md-b, then",
        "www.evil.example/hostile-md-c",
    ],
)
def test_bare_urls_in_prose_are_not_autolinked(text: str) -> None:
    event = ErrorEvent(
        source="generic",
        source_event_id="e",
        message="boom",
        service=text,
        release=text,
        environment=text,
        exceptions=[ExceptionInfo(type="HostileError", value="boom")],
    )
    group = group_view(event)
    body = render_issue(group, event, None).body
    assert markdown_problems(body, "body") == []
    assert "evil.example/hostile-md" in body  # still shown, as text


def test_a_url_reads_the_same_but_is_broken_by_an_invisible_joiner() -> None:
    assert inert("go to https://x.example/p").replace("\u2060", "") == "go to https://x.example/p"
    assert inert("wwwx.example and xwww.example") == "wwwx.example and xwww.example"
