"""Render a group as the issue autotriage files: a title, a Markdown body, labels, people.

The local tracker stores exactly this, so a new user sees what would be sent to GitHub.
Everything leaves through `scrub_text`. Bodies stay under GitHub's 65,536-character
limit by shortening the least useful sections first (related log lines, then the full
trace, the frame list, the code, the message); the summary, the owners, the links and
the footer token that reconciliation matches are never cut.

Event text is attacker-controlled: a title can close a code fence and add a heading, an
``@org/team`` mention storm, or an image that makes every reader's browser fetch a URL.
So event text goes either into a code block whose fence is longer than any run of
backticks inside it (`fenced`), into an inline code span built the same way
(`code_span`), or into prose with Markdown's punctuation escaped and mentions broken by
a word joiner (`inert`). NUL characters, which GitHub and PostgreSQL refuse, become
U+FFFD (`printable`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime

from autotriage.analysis import Analysis
from autotriage.models import ErrorEvent, ExceptionInfo, Frame
from autotriage.understanding.scrub import DEFAULT_POLICY, ScrubPolicy, scrub_text

# --- Markdown that event text cannot break

_BACKTICKS = re.compile(r"`+")
_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()<>#+!|~])")
_MENTION = re.compile(r"@(?=[\w-])")
_AUTOLINK = re.compile(r"\b(?:https?:(?=//)|www(?=\.))", re.IGNORECASE)
WORD_JOINER = "\u2060"


def _longest_run(text: str) -> int:
    return max((len(run) for run in _BACKTICKS.findall(text)), default=0)


def fence_for(text: str) -> str:
    """A fence of backticks longer than any run in `text` (at least three)."""
    return "`" * max(3, _longest_run(text) + 1)


def fenced(text: str) -> list[str]:
    """`text` as the lines of a code block nothing inside can close."""
    fence = fence_for(text)
    return [fence, printable(text), fence]


def code_span(text: str) -> str:
    """`text` as one inline code span, on one line."""
    flat = printable(" ".join(text.split()))
    ticks = "`" * (_longest_run(flat) + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{ticks}{pad}{flat}{pad}{ticks}"


def inert(text: str) -> str:
    """`text` for Markdown prose or a table cell: one line, punctuation escaped, no
    mentions, and no URL GitHub would autolink (``https:``/``www`` broken by a joiner)."""
    flat = printable(" ".join(text.split()))
    escaped = _MENTION.sub("@" + WORD_JOINER, _PUNCTUATION.sub(r"\\\1", flat))
    return _AUTOLINK.sub(lambda found: found[0] + WORD_JOINER, escaped)


def printable(text: str) -> str:
    """`text` without NUL characters."""
    return text.replace("\x00", "\ufffd")


# --- the issue

TITLE_LIMIT = 120
BODY_LIMIT = 65_000  # GitHub refuses bodies past 65,536 characters; keep a margin
FOOTER_PREFIX = "autotriage:"
TRUNCATED = "\n…(truncated to fit GitHub's size limit)\n"
LABEL_COLORS = {
    "autotriage": "5319e7",
    "source": "1d76db",
    "level:fatal": "b60205",
    "level:error": "d93f0b",
    "level:warning": "fbca04",
    "level:info": "0e8a16",
    "level:debug": "c5def5",
    "service": "bfd4f2",
}


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
    assignees: list[str] = field(default_factory=list)
    mentions: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class RenderOptions:
    """Who an issue goes to (CODEOWNERS users assigned, teams mentioned) and what is scrubbed."""

    assign_owners: bool = True
    mention_teams: bool = True
    assign_commit_author: bool = False
    scrub: ScrubPolicy = DEFAULT_POLICY


def label_color(name: str) -> str:
    """The colour autotriage gives a label it creates."""
    return LABEL_COLORS.get(name) or LABEL_COLORS.get(name.split(":", 1)[0], "ededed")


def people(analysis: Analysis | None, options: RenderOptions) -> tuple[list[str], list[str]]:
    """Assignee logins and team mentions from the analysis's owners (and suspect author)."""
    assignees: list[str] = []
    mentions: list[str] = []
    for owner in analysis.owners if analysis else []:
        name = owner.strip().lstrip("@")
        if not name or "@" in name:
            continue  # an e-mail owner cannot be assigned or mentioned
        if "/" in name:
            if options.mention_teams and f"@{name}" not in mentions:
                mentions.append(f"@{name}")
        elif options.assign_owners and name not in assignees:
            assignees.append(name)
    commit = analysis.suspect_commit if analysis else None
    if options.assign_commit_author and commit and commit.login and commit.login not in assignees:
        assignees.append(commit.login)
    return assignees[:10], mentions  # GitHub takes at most 10 assignees


def footer_token(fingerprint: str) -> str:
    """The alphanumeric token that marks an issue as this group's, in its footer."""
    return hashlib.sha256(fingerprint.encode()).hexdigest()[:24]


def render_title(event: ErrorEvent, policy: ScrubPolicy = DEFAULT_POLICY) -> str:
    """``[source] Type: message``, trimmed to a readable length and scrubbed by `policy`."""
    text = " ".join(event.title.split())
    if len(text) > TITLE_LIMIT:
        text = text[: TITLE_LIMIT - 1].rstrip() + "…"
    return printable(scrub_text(f"[{event.source}] {text}", policy))


def _frame_line(frame: Frame) -> str:
    where = frame.filename or frame.abs_path or frame.module or "?"
    line = f":{frame.lineno}" if frame.lineno is not None else ""
    func = f" in {code_span(frame.function)}" if frame.function else ""
    marker = "" if frame.in_app else " _(library)_"
    return f"- {code_span(where + line)}{func}{marker}"


def _prose(text: str) -> str:
    """Event text for Markdown prose: scrubbed first (escaping would hide a token's shape)."""
    return inert(scrub_text(text))


_LINKS = {
    "cause": "The above exception was the direct cause of the following exception:",
    "context": "During handling of the above exception, another exception occurred:",
    None: "The above caused:",
}


def _trace_text(exceptions: list[ExceptionInfo]) -> str:
    """The chain cause-first, each block joined to the next as the runtime linked them."""
    text = ""
    for index, exc in enumerate(exceptions):
        value = exc.value if len(exc.value) <= 2000 else exc.value[:2000] + "…"  # in Error above
        lines = [f"{exc.type}: {value}".rstrip(": ")]
        for frame in exc.frames:
            where = frame.abs_path or frame.filename or frame.module or "?"
            line = frame.lineno if frame.lineno is not None else "?"
            lines.append(f'  File "{where}", line {line}, in {frame.function}')
            if frame.context_line:
                lines.append(f"    {frame.context_line.strip()}")
        text += "\n".join(lines)
        if index < len(exceptions) - 1:
            text += f"\n\n{_LINKS[exc.link]}\n\n"
    return text


def _summary(group: GroupView, event: ErrorEvent) -> list[str]:
    rows = [
        ("Source", ", ".join(group.sources) or event.source),
        ("Level", group.level),
        ("Service", _prose(group.service or event.service or "—")),
        ("Environment", _prose(group.environment or event.environment or "—")),
        ("Release", _prose(group.release or event.release or "—")),
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
        where = code_span(f"{culprit.path}:{culprit.line}" if culprit.line else culprit.path)
        if culprit.permalink:
            where = f"[{where}]({culprit.permalink})"
        func = f" in {code_span(culprit.function)}" if culprit.function else ""
        out += ["## Where it broke", "", f"{where}{func}", ""]
        if culprit.code:
            out += [*fenced("\n".join(culprit.code)), ""]
    commit = analysis.suspect_commit
    if commit is not None:
        who = f"@{commit.login}" if commit.login else commit.author_name
        out += [
            "## Suspect commit",
            "",
            f"`{commit.sha[:12]}` {_prose(commit.summary)} — {who}, {commit.date}",
            "",
        ]
    if analysis.owners:
        out += ["## Owners", "", ", ".join(analysis.owners), ""]
    out += [
        # The reasons quote frame paths, which are event text.
        f"<sub>Analysis confidence {analysis.confidence:.2f}: "
        f"{'; '.join(map(inert, analysis.reasons))}</sub>",
        "",
    ]
    return out


def _links(event: ErrorEvent) -> list[str]:
    out = []
    if event.link and _SAFE_URL.fullmatch(event.link):
        out.append(f"- [View in {event.source}]({event.link})")
    extra = event.contexts.get("links")
    if isinstance(extra, dict):
        out += [
            f"- [{_prose(str(name))}]({url})"
            for name, url in extra.items()
            if isinstance(url, str) and _SAFE_URL.fullmatch(url)
        ]
    return ["## Links", "", *out, ""] if out else []


# A link target that cannot leave its parentheses or carry another scheme.
_SAFE_URL = re.compile(r"https?://[^\s<>()\\`\"'\x00]{1,2000}")


_FENCE = re.compile(r"^`{3,}$", re.M)


def _fit(sections: list[tuple[int, list[str]]], budget: int) -> str:
    """Join sections; past `budget`, shorten the lowest-priority (highest number) first."""
    texts = ["\n".join(lines) for _, lines in sections]
    total = sum(len(t) + 1 for t in texts)
    order = sorted(range(len(sections)), key=lambda i: -sections[i][0])
    for index in order:
        if total <= budget or sections[index][0] == 0:
            break
        excess = total - budget
        text = texts[index]
        keep = max(0, len(text) - excess - len(TRUNCATED))
        cut = text[:keep]
        fence = _FENCE.search(text)
        if fence and sum(line == fence[0] for line in cut.split("\n")) % 2 == 1:
            cut += "\n" + fence[0]  # close the code fence the cut opened
        if "<details>" in cut and "</details>" not in cut:
            cut += "\n</details>"
        new = (cut + TRUNCATED) if keep else ""
        total -= len(text) - len(new)
        texts[index] = new
    return "\n".join(t for t in texts if t)


def _details(summary: str, text: str) -> list[str]:
    """A collapsed section holding `text` fenced."""
    return [f"<details><summary>{summary}</summary>", "", *fenced(text), "", "</details>", ""]


def shortened(body: str, limit: int = 30_000) -> str:
    """A rendered body cut to `limit` characters, its footer (the last paragraph) kept."""
    head, _, footer = body.rpartition("\n\n")
    return f"{head[:limit]}\n\n…(shortened)\n\n{footer}"


def render_issue(
    group: GroupView,
    event: ErrorEvent,
    analysis: Analysis | None,
    options: RenderOptions | None = None,
) -> IssueDraft:
    """The issue for `group`, its latest `event` and its `analysis`, scrubbed and sized."""
    options = options or RenderOptions()
    assignees, mentions = people(analysis, options)
    message = event.message.strip() or event.title
    # (priority, lines): 0 is never cut; higher numbers are cut first
    sections: list[tuple[int, list[str]]] = [
        (0, ["## Summary", "", *_summary(group, event), ""]),
        (5, ["## Error", "", *fenced(message[:20_000]), ""]),
        (4, _analysis_section(analysis)),
    ]
    if event.exceptions:
        in_app = [f for exc in event.exceptions for f in exc.frames if f.in_app]
        chain = " ← ".join(code_span(exc.type) for exc in reversed(event.exceptions))
        frames = ["## In-app frames (most recent last)", "", *map(_frame_line, in_app), ""]
        sections.append((6, [f"**Exception chain:** {chain}", "", *(frames if in_app else [])]))
        sections.append((8, _details("Full stack trace", _trace_text(event.exceptions))))
    log_lines = event.contexts.get("log_lines")
    if isinstance(log_lines, list) and log_lines:
        lines = "\n".join(str(line) for line in log_lines[:200])
        sections.append((9, _details("Related log lines", lines)))
    who = ", ".join([*(f"@{a}" for a in assignees), *mentions])
    sections.append(
        (
            0,
            [
                "## Next steps",
                "",
                "- Look at the code where it broke and the suspect commit, if any.",
                *([f"- Owners: {who}"] if who else []),
                "- Close this issue as completed once fixed; autotriage reopens it if the error "
                "returns in a newer release. Close it as not planned to silence it.",
                "",
            ],
        )
    )
    sections.append((0, _links(event)))
    footer = f"<sub>{FOOTER_PREFIX}{footer_token(group.fingerprint)}</sub>"
    scrubbed = [
        (prio, scrub_text("\n".join(lines), options.scrub).split("\n")) for prio, lines in sections
    ]
    text = _fit(scrubbed, BODY_LIMIT - len(footer) - 2)
    labels = ["autotriage", f"source:{event.source}", f"level:{group.level}"]
    if group.service or event.service:
        service = f"service:{group.service or event.service}"
        labels.append(scrub_text(service, options.scrub)[:50])
    return IssueDraft(
        title=render_title(event, options.scrub),
        body=printable(f"{text}\n\n{footer}"),
        labels=labels,
        assignees=assignees,
        mentions=mentions,
    )
