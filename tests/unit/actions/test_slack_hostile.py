"""Event text in a Slack post cannot broadcast, mention, link or close its code span: the
``mrkdwn`` text and the fallback text carry it with ``&``, ``<`` and ``>`` escaped (found
by the hostile corpus's rendering check, issue 16)."""

from __future__ import annotations

import re
from typing import Any

from autotriage.actions.kinds import IssueContext
from autotriage.actions.slack import escape, render
from autotriage.models import ErrorEvent, ExceptionInfo, Frame
from tests.hostile.rendering import group_view

CONTROL = re.compile(r"<(?:[!@#]|https?:|mailto:)")
ATTACK = "<!channel> <!here> <@U0ADMIN> <#C0GENERAL> <https://evil.example|click> a&b"


def _context() -> IssueContext:
    frame = Frame(filename=f"app/{ATTACK}.py", function=f"handle`{ATTACK}`", lineno=3)
    event = ErrorEvent(
        source="generic",
        source_event_id="e1",
        message=ATTACK,
        exceptions=[ExceptionInfo(type="HostileError", value=ATTACK, frames=[frame])],
    )
    group = group_view(event, id=7, service=f"svc {ATTACK}")
    return IssueContext(group, event, None)


def _mrkdwn(blocks: list[dict[str, Any]]) -> list[str]:
    texts = [b["text"]["text"] for b in blocks if b.get("text", {}).get("type") == "mrkdwn"]
    for block in blocks:
        texts += [e["text"] for e in block.get("elements", []) if e.get("type") == "mrkdwn"]
    return texts


def test_event_text_forms_no_control_sequence() -> None:
    text, blocks = render(_context(), "new", None, None)
    mrkdwn = _mrkdwn(blocks)
    assert len(mrkdwn) == 2  # the section and the context line
    for part in [text, *mrkdwn]:
        assert CONTROL.search(part) is None, part
    assert "&lt;!channel&gt;" in text  # shown, as text
    assert any("&lt;!here&gt;" in part for part in mrkdwn)
    section = mrkdwn[0]
    # the function's backticks cannot close its code span: exactly two spans on the line
    assert section.splitlines()[0].count("`") == 4, section
    header = blocks[0]["text"]
    assert header["type"] == "plain_text"  # Slack shows plain_text literally
    assert header["text"].startswith("HostileError: <!channel>")


def test_escape_covers_the_three_characters_slack_names() -> None:
    assert escape("a & <b> &lt;") == "a &amp; &lt;b&gt; &amp;lt;"
