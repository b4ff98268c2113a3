"""XSS and Markdown injection judged by rendering what hostile events became.

The corpus plants script, HTML, Markdown and Slack control sequences in every text field
an event has (`rendering_cases`). After the run, `rendering_problems` reads what came of
them and parses it the way its reader would:

- the console's group list and group pages, with an HTML parser: no element, attribute
  or event handler from the event (the planted text must show as text);
- every issue and comment body the fake GitHub received, with a CommonMark parser: no
  heading, mention, image, link or raw HTML made from event text outside a code block,
  no bare URL GitHub would autolink, and every fence longer than any backtick run inside;
- every post the Slack webhook received: no ``<!channel>``, ``<@user>``, ``<#channel>``
  or ``<url|label>`` control sequence in its ``mrkdwn`` text or its fallback text.

Each check also demands that the planted text reached what it reads, so a rendering that
drops it (or a run that never filed anything) fails rather than passes by default.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import httpx
from markdown_it import MarkdownIt
from markdown_it.token import Token

from autotriage.actions.render import GroupView
from autotriage.models import ErrorEvent
from tests.hostile import payloads
from tests.hostile.corpus import Case, _request
from tests.hostile.payloads import API_TOKEN, TARGETS

BEARER = {"authorization": f"Bearer {API_TOKEN}"}
MARK = "hostile-md"
"""In every planted link, mention, heading and image: what the Markdown check looks for."""
XSS_MARK = "hostile-xss"
SCRIPT = f"<script>alert('{XSS_MARK}')</script>"
IMG = f"<img src=x onerror=alert('{XSS_MARK}')>"
HTML_IMG = f'<img src="http://169.254.169.254/{MARK}.png" onerror="alert(1)">'
"""Valid HTML for CommonMark (IMG's unquoted value is not), so Markdown would keep it."""
ATTRIBUTE_BREAK = f'" onmouseover="alert(\'{XSS_MARK}\')" x="'
SLACK = (
    "<!channel> <!here> <!everyone> <@U0HOSTILE> <#C0HOSTILE> "
    f"<https://evil.example/{MARK}-slack|click here>"
)
MARKDOWN = (
    "```\n"
    f"## {MARK}-heading\n"
    f"@{MARK}-org/{MARK}-team @{MARK}-user "
    f"![{MARK}-image](http://169.254.169.254/{MARK}.png) "
    f"[{MARK}-link](https://evil.example/{MARK}-link) https://evil.example/{MARK}-bare "
    f"www.evil.example/{MARK}-www <https://evil.example/{MARK}-auto> {IMG} {SCRIPT}\n"
    f"{HTML_IMG}\n"
    "````````\n"
    f"# {MARK}-after-the-fence\n"
)
"""Closes a fence of any length up to 8 first, then tries every kind of Markdown."""
PROSE = (
    f"@{MARK}-user https://evil.example/{MARK}-prose www.evil.example/{MARK}-www "
    f"![{MARK}-image](http://169.254.169.254/{MARK}.png) [{MARK}-link](https://evil.example/"
    f"{MARK}-link) {IMG} {HTML_IMG} <!channel> ## {MARK}"
)
"""For one-line fields that land in Markdown prose or a table cell (service, release)."""


def _planted_generic() -> dict[str, Any]:
    run = uuid.uuid4().hex[:8]
    return {
        "message": f"{SLACK}\n{MARKDOWN}",
        "level": "error",
        "service": PROSE[:1000],
        "environment": f"{ATTRIBUTE_BREAK}{IMG} @{MARK}-env"[:1000],
        "release": f"rel-{run} {PROSE}"[:1000],
        "tags": {SCRIPT: IMG, "where": ATTRIBUTE_BREAK},
        "exception": {
            "type": f"HostileRender{run}{SCRIPT}",
            "value": f"{SLACK} {SCRIPT} {IMG}\n{MARKDOWN}",
            "frames": [
                {
                    "filename": f"app/{SLACK}`x`.py",
                    "function": f"handle{SCRIPT}`` @{MARK}-user <!here>",
                    "lineno": 7,
                    "in_app": True,
                    "context_line": MARKDOWN.replace("\n", " "),
                }
            ],
        },
    }


def _planted_sentry() -> dict[str, Any]:
    event = payloads.sentry_event(f"{SLACK}\n{MARKDOWN}")
    run = uuid.uuid4().hex[:8]
    exc = event["exception"]["values"][0]
    exc["type"] = f"HostileRenderSentry{run}{IMG}"
    frame = exc["stacktrace"]["frames"][0]
    frame["function"] = f"handle{SCRIPT}``` <!channel> @{MARK}-user"
    frame["filename"] = f"app/{IMG}.py"
    frame["context_line"] = MARKDOWN.replace("\n", " ")
    event["server_name"] = PROSE
    event["environment"] = f"{ATTRIBUTE_BREAK}{IMG}"
    event["release"] = f"rel-{run} {PROSE}"
    event["tags"] = {"where": SCRIPT, "attr": ATTRIBUTE_BREAK}
    event["message"] = f"{SLACK}\n{MARKDOWN}"
    return event


def rendering_cases(key: str) -> Iterator[Case]:
    """Valid events carrying the planted text in every field; each new group is filed,
    posted to Slack and shown in the console before the next case runs."""
    generic = next(t for t in TARGETS if t.name == "generic")
    doc = _planted_generic()
    yield Case(
        "render/generic_every_field",
        expect="valid",
        settle=True,
        **_request(generic, json.dumps(doc).encode(), key),
    )
    # The same error again in a new release and environment: the issue gets a comment
    # naming them, the text GitHub renders as Markdown.
    again = {
        **doc,
        "event_id": uuid.uuid4().hex,
        "release": f"`` {PROSE} `",
        "environment": f"` {PROSE}",
    }
    yield Case(
        "render/generic_repeat_in_a_new_release",
        expect="valid",
        settle=True,
        **_request(generic, json.dumps(again).encode(), key),
    )
    envelope = next(t for t in TARGETS if t.name == "sentry_envelope")
    yield Case(
        "render/sentry_every_field",
        expect="valid",
        settle=True,
        **_request(envelope, payloads.envelope(_planted_sentry()), key),
    )


# --- HTML


class _Page(HTMLParser):
    """Collects the elements, attributes and text of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and values.get("src") != "/static/console/console.js":
            self.problems.append(f"a <script> element ({str(values)[:80]})")
        if tag in ("img", "iframe", "object", "embed", "base", "form") and _planted(values):
            self.problems.append(f"a <{tag}> element built from event text")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"an event handler attribute {name}={str(value)[:60]!r}")
            if value and value.strip().lower().startswith("javascript:"):
                self.problems.append(f"a javascript: URL in {name}")

    handle_startendtag = handle_starttag

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _planted(values: dict[str, str | None]) -> bool:
    return any(v and (XSS_MARK in v or v == "x") for v in values.values())


def html_problems(page: str, where: str) -> tuple[list[str], bool]:
    """Problems in one HTML page, and whether the planted script shows on it as text."""
    parser = _Page()
    parser.feed(page)
    parser.close()
    text = "".join(parser.text)
    return [f"{where}: {p}" for p in parser.problems], SCRIPT in text or IMG in text


# --- Markdown

_MARKDOWN = MarkdownIt("commonmark").enable(["table", "strikethrough"])
_BACKTICKS = re.compile(r"`+")
_MENTION = re.compile(rf"(?<![\w`])@{MARK}")
_AUTOLINK = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
"""What GitHub's extended autolinks turn into a link in text (GFM, section 6.9)."""
_RAW_HTML = re.compile(rf"<\s*(?:script|img)\b|onerror|{XSS_MARK}|{MARK}", re.IGNORECASE)


def _walk(tokens: Iterable[Token]) -> Iterator[Token]:
    for token in tokens:
        yield token
        if token.children:
            yield from _walk(token.children)


def markdown_problems(body: str, where: str) -> list[str]:
    """What event text made of one GitHub Markdown body outside code."""
    problems: list[str] = []
    tokens = _MARKDOWN.parse(body)
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and MARK in tokens[index + 1].content:
            problems.append(f"a heading from event text: {tokens[index + 1].content[:60]!r}")
        if token.type == "fence":
            longest = max((len(r) for r in _BACKTICKS.findall(token.content)), default=0)
            if token.markup.startswith("`") and len(token.markup) <= longest:
                problems.append(f"a fence of {len(token.markup)} around a run of {longest}")
    for token in _walk(tokens):
        if token.type == "image":
            problems.append(f"an image: {str(token.attrGet('src'))[:80]!r}")
        elif token.type == "link_open" and MARK in str(token.attrGet("href")):
            problems.append(f"a link: {str(token.attrGet('href'))[:80]!r}")
        elif token.type in ("html_inline", "html_block") and _RAW_HTML.search(token.content):
            problems.append(f"raw HTML: {token.content.strip()[:80]!r}")
        elif token.type == "text":
            if found := _MENTION.search(token.content):
                problems.append(f"a mention: {token.content[found.start() :][:60]!r}")
            for url in _AUTOLINK.findall(token.content):
                if MARK in url:
                    problems.append(f"a URL GitHub autolinks: {url[:80]!r}")
    return [f"{where}: {p}" for p in problems]


# --- Slack

_CONTROL = re.compile(r"<(?:[!@#]|https?:|mailto:)", re.IGNORECASE)
_ESCAPED = ("&lt;!channel&gt;", "&lt;!here&gt;")


def _mrkdwn(value: Any) -> Iterator[str]:
    """Every ``mrkdwn`` text object's text in a Block Kit structure."""
    if isinstance(value, dict):
        if value.get("type") == "mrkdwn" and isinstance(value.get("text"), str):
            yield value["text"]
        for inner in value.values():
            yield from _mrkdwn(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _mrkdwn(inner)


def slack_problems(post: dict[str, Any], where: str) -> tuple[list[str], bool]:
    """Control sequences in one post's mrkdwn and fallback text, and whether the planted
    broadcast shows in it, escaped."""
    texts = [str(post.get("text", "")), *_mrkdwn(post.get("blocks", []))]
    problems = [
        f"{where}: a control sequence {text[m.start() :][:40]!r}"
        for text in texts
        for m in _CONTROL.finditer(text)
    ]
    return problems, any(mark in text for text in texts for mark in _ESCAPED)


# --- after the run


def _console_pages(http: httpx.Client) -> Iterator[tuple[str, str]]:
    listing = http.get("/api/groups", params={"limit": 500}, headers=BEARER)
    ids = [g["id"] for g in listing.json().get("groups", [])] if listing.status_code == 200 else []
    every_column = "/?cols=level,events,source,service,environment,count,users,first_seen,"
    every_column += "last_seen,status,assignee,issue"
    pages = ["/", "/?q=HostileRender", every_column, "/sources"]
    for path in [*pages, *(f"/groups/{i}" for i in ids)]:
        answer = http.get(path, headers=BEARER)
        if answer.status_code == 200:
            yield path, answer.text


def _all(checked: Iterable[tuple[list[str], bool]], missing: str) -> list[str]:
    """The problems of every item checked, and `missing` when none showed the planted text."""
    problems: list[str] = []
    seen = False
    for found, shown in checked:
        problems += found
        seen = seen or shown
    return problems if seen else [*problems, missing]


def rendering_problems(
    http: httpx.Client, bodies: list[str], posts: list[dict[str, Any]]
) -> list[str]:
    """The whole-run rendering checks: console pages, GitHub bodies, Slack posts."""
    pages = (html_problems(page, f"console {path}") for path, page in _console_pages(http))
    filed = (b for b in bodies if MARK in b or XSS_MARK in b)
    markdown = ((markdown_problems(b, f"GitHub body {n}"), True) for n, b in enumerate(filed))
    slack = (slack_problems(post, f"Slack post {n}") for n, post in enumerate(posts))
    return [
        *_all(pages, "the planted script is not shown as text on any console page"),
        *_all(markdown, "no GitHub issue body carries the planted Markdown"),
        *_all(slack, "no Slack post carries the planted broadcast, escaped"),
    ]


def group_view(event: ErrorEvent, **fields: Any) -> GroupView:
    """The group the renderers take for `event`, seen once now (`fields` override)."""
    now = datetime.now(UTC)
    values: dict[str, Any] = {
        "id": 1, "fingerprint": "f", "title": event.title, "level": "error", "count": 1,
        "first_seen": now, "last_seen": now, "sources": [event.source],
        "service": event.service, "release": event.release, "environment": event.environment,
    }  # fmt: skip
    return GroupView(**{**values, **fields})
