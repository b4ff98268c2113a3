"""Render a group as the issue autotriage files: a title, a Markdown body and labels.

The local tracker stores exactly this, so a new user sees what would be sent to GitHub.
Everything leaves through `scrub_text`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from autotriage.analysis import Analysis
from autotriage.models import ErrorEvent, ExceptionInfo, Frame
from autotriage.understanding.scrub import scrub_text

TITLE_LIMIT = 120
BODY_LIMIT = 65_000  # GitHub refuses bodies past 65,536 characters
FOOTER_PREFIX = "autotriage:"


@dataclass(frozen=True, slots=True)
class GroupView:
    """The group facts an issue shows."""

    id: int
    fingerprint: str
    title: str
    level: str
    count: int
    first_seen: datetime
    last_seen: datetime
    sources: list[str] = field(default_factory=list)
    service: str | None = None
    environment: str | None = None
    release: str | None = None


@dataclass(frozen=True, slots=True)
class IssueDraft:
    """The issue as it would be sent."""

    title: str
    body: str
    labels: list[str]


def footer_token(fingerprint: str) -> str:
    """The alphanumeric token that marks an issue as this group's, in its footer."""
    return hashlib.sha256(fingerprint.encode()).hexdigest()[:24]


def render_title(event: ErrorEvent) -> str:
    """``[source] Type: message``, trimmed to a readable length."""
    text = " ".join(event.title.split())
    if len(text) > TITLE_LIMIT:
        text = text[: TITLE_LIMIT - 1].rstrip() + "…"
    return scrub_text(f"[{event.source}] {text}")


def _frame_line(frame: Frame) -> str:
    where = frame.filename or frame.abs_path or frame.module or "?"
    line = f":{frame.lineno}" if frame.lineno is not None else ""
    func = f" in `{frame.function}`" if frame.function else ""
    marker = "" if frame.in_app else " _(library)_"
    return f"- `{where}{line}`{func}{marker}"


def _trace_text(exceptions: list[ExceptionInfo]) -> str:
    blocks = []
    for exc in exceptions:
        lines = [f"{exc.type}: {exc.value}".rstrip(": ")]
        for frame in exc.frames:
            where = frame.abs_path or frame.filename or frame.module or "?"
            lines.append(f'  File "{where}", line {frame.lineno}, in {frame.function}')
            if frame.context_line:
                lines.append(f"    {frame.context_line.strip()}")
        blocks.append("\n".join(lines))
    return "\n\nThe above caused:\n\n".join(blocks)


def _summary(group: GroupView, event: ErrorEvent) -> list[str]:
    rows = [
        ("Source", ", ".join(group.sources) or event.source),
        ("Level", group.level),
        ("Service", group.service or event.service or "—"),
        ("Environment", group.environment or event.environment or "—"),
        ("Release", group.release or event.release or "—"),
        ("First seen", group.first_seen.strftime("%Y-%m-%d %H:%M:%S UTC")),
        ("Last seen", group.last_seen.strftime("%Y-%m-%d %H:%M:%S UTC")),
        ("Occurrences", str(group.count)),
    ]
    return ["| | |", "|---|---|", *(f"| **{k}** | {v} |" for k, v in rows)]


def _analysis_section(analysis: Analysis | None) -> list[str]:
    if analysis is None:
        return []
    out: list[str] = []
    culprit = analysis.culprit
    if culprit is not None:
        where = f"`{culprit.path}:{culprit.line}`" if culprit.line else f"`{culprit.path}`"
        if culprit.permalink:
            where = f"[{where}]({culprit.permalink})"
        func = f" in `{culprit.function}`" if culprit.function else ""
        out += ["## Where it broke", "", f"{where}{func}", ""]
        if culprit.code:
            out += ["```", *culprit.code, "```", ""]
    commit = analysis.suspect_commit
    if commit is not None:
        who = f"@{commit.login}" if commit.login else commit.author_name
        out += [
            "## Suspect commit",
            "",
            f"`{commit.sha[:12]}` {commit.summary} — {who}, {commit.date}",
            "",
        ]
    if analysis.owners:
        out += ["## Owners", "", ", ".join(analysis.owners), ""]
    out += [
        f"<sub>Analysis confidence {analysis.confidence:.2f}: {'; '.join(analysis.reasons)}</sub>",
        "",
    ]
    return out


def render_issue(group: GroupView, event: ErrorEvent, analysis: Analysis | None) -> IssueDraft:
    """The issue for `group`, its latest `event` and its `analysis`, scrubbed and sized."""
    body: list[str] = ["## Summary", "", *_summary(group, event), ""]
    message = event.message.strip() or event.title
    body += ["## Error", "", "```", message[:4000], "```", ""]
    body += _analysis_section(analysis)
    if event.exceptions:
        in_app = [f for exc in event.exceptions for f in exc.frames if f.in_app]
        if in_app:
            body += ["## In-app frames (most recent last)", "", *map(_frame_line, in_app), ""]
        chain = " ← ".join(exc.type for exc in reversed(event.exceptions))
        body += [f"**Exception chain:** {chain}", ""]
        body += [
            "<details><summary>Full stack trace</summary>",
            "",
            "```",
            _trace_text(event.exceptions),
            "```",
            "",
            "</details>",
            "",
        ]
    log_lines = event.contexts.get("log_lines")
    if isinstance(log_lines, list) and log_lines:
        body += ["<details><summary>Related log lines</summary>", "", "```"]
        body += [str(line) for line in log_lines[:50]] + ["```", "", "</details>", ""]
    body += [
        "## Next steps",
        "",
        "- Look at the code where it broke and the suspect commit, if any.",
        "- Close this issue as completed once fixed; autotriage reopens it if the error returns.",
        "",
    ]
    if event.link:
        body += [f"[View in {event.source}]({event.link})", ""]
    footer = f"<sub>{FOOTER_PREFIX}{footer_token(group.fingerprint)}</sub>"
    text = scrub_text("\n".join(body))
    if len(text) + len(footer) + 2 > BODY_LIMIT:
        text = text[: BODY_LIMIT - len(footer) - 40] + "\n\n…(truncated)\n"
    labels = ["autotriage", f"source:{event.source}", f"level:{group.level}"]
    if group.service or event.service:
        labels.append(scrub_text(f"service:{group.service or event.service}"))
    return IssueDraft(title=render_title(event), body=f"{text}\n\n{footer}", labels=labels)
