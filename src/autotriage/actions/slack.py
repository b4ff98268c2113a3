"""Talking back to Slack: ``slack.notify`` posts when a group is new (its issue opened),
comes back (reopened) or spikes.

Docs: https://api.slack.com/methods/chat.postMessage (``channel``, ``text`` fallback,
``blocks``, ``thread_ts``), https://api.slack.com/messaging/webhooks (incoming webhooks)
and https://api.slack.com/docs/rate-limits (about one message per second per channel;
HTTP 429 with ``Retry-After``).

With ``SLACK_BOT_TOKEN`` + ``SLACK_CHANNEL`` the first post about a group starts a thread
and later posts about it reply in that thread (the thread's ``channel:ts`` is the first
action's external id). With ``SLACK_WEBHOOK_URL`` every post is top-level (incoming
webhooks return no ``ts``). Everything sent goes through `scrub_text`; tokens never
appear in an action's detail.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from autotriage.actions.kinds import ActionKind, ActionResult, IssueContext, issue_context
from autotriage.config_sections import SlackSettings
from autotriage.store.tables import Action, Link
from autotriage.understanding.scrub import DEFAULT_POLICY, ScrubPolicy, scrub_text

KIND = ActionKind.SLACK_NOTIFY
MARKER = "autotriage · "
"""Starts the context line of every post, so intake never reads our own posts back."""
MIN_INTERVAL = 1.0  # seconds between two posts to one channel
_REASONS = {
    "new": ("New error", "opened issue"),
    "regression": ("Error came back", "reopened issue"),
    "spike": ("Error is spiking", "issue"),
}


@dataclass(frozen=True, slots=True)
class SlackPost:
    """A rendered message and where it goes."""

    channel: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _plain(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def escape(text: str) -> str:
    """Event text for ``mrkdwn`` and the fallback text: ``&``, ``<`` and ``>`` escaped, so
    it cannot form a control sequence (``<!channel>``, ``<@U123>``, ``<url|label>``)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _code(text: str) -> str:
    """Event text as inline code it cannot close."""
    return f"`{escape(text.replace('`', chr(0x2035)))}`"


def _where(context: IssueContext) -> str | None:
    culprit = (context.analysis.culprit if context.analysis else None) or None
    if culprit is not None:
        line = f":{culprit.line}" if culprit.line else ""
        func = f" in {_code(culprit.function)}" if culprit.function else ""
        return f"{_code(culprit.path + line)}{func}"
    exc = context.event.primary_exception
    frame = exc.crashing_frame if exc else None
    if frame is not None and frame.path:
        line = f":{frame.lineno}" if frame.lineno else ""
        func = f" in {_code(frame.function)}" if frame.function else ""
        return f"{_code(frame.path + line)}{func}"
    return None


def render(
    context: IssueContext,
    reason: str,
    link: Link | None,
    public_url: str | None,
    policy: ScrubPolicy = DEFAULT_POLICY,
) -> tuple[str, list[dict[str, Any]]]:
    """The text fallback and Block Kit blocks for a group, scrubbed by `policy`."""
    headline, verb = _REASONS.get(reason, _REASONS["new"])
    group = context.group
    title = scrub_text(_plain(context.event.title, 140), policy)
    url = link.url if link is not None else None
    if url and url.startswith("/") and public_url:
        url = public_url.rstrip("/") + url
    label = f"#{link.external_id}" if link is not None else None
    where = _where(context)
    text = f"{headline}: {escape(title)}"
    if where:
        text += f" at {where.replace('`', '')}"
    if label:
        text += f" - {verb} {label}"
    seen = f"*Seen:* {group.count} times (group {group.id})"
    section = f"*Where:* {where}\n{seen}" if where else seen
    sources = ", ".join(group.sources) or context.event.source
    context_line = f"{MARKER}{headline.lower()} · source: {sources}"
    if group.service:
        context_line += f" · service {_code(group.service)}"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": scrub_text(section, policy)}},
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": scrub_text(context_line, policy)}],
        },
    ]
    if url and url.startswith("https://"):
        blocks.append(
            {
                "type": "actions",
                "block_id": f"grp-{group.id}",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "view_issue",
                        "url": url,
                        "text": {"type": "plain_text", "text": f"View {label or 'issue'}"},
                    }
                ],
            }
        )
    return scrub_text(text, policy), blocks


class SlackNotify:
    """The ``slack.notify`` handler (prepare / perform / record)."""

    kind: str = KIND

    def __init__(
        self,
        settings: SlackSettings,
        http: httpx.Client | None = None,
        *,
        policy: ScrubPolicy,
        public_url: str | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.public_url = public_url  # the console links' base
        self.policy = policy
        self.http = http or httpx.Client(timeout=10.0, follow_redirects=False)
        self.clock = clock
        self.sleep = sleep
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    @property
    def _bot(self) -> bool:
        return bool(self.settings.slack_bot_token and self.settings.slack_channel)

    def prepare(self, session: Session, action: Action) -> SlackPost | None:
        """Render the message; find the group's thread (bot mode)."""
        context = issue_context(session, action.group_id)
        if context is None:
            return None
        link = session.scalars(
            select(Link).where(Link.group_id == action.group_id).order_by(Link.id.desc())
        ).first()
        params: dict[str, Any] = action.params or {}
        text, blocks = render(
            context, str(params.get("reason", "new")), link, self.public_url, self.policy
        )
        thread_ts = None
        channel = self.settings.slack_channel or "webhook"
        if self._bot:
            parent = session.scalars(
                select(Action.external_id)
                .where(
                    Action.kind == KIND,
                    Action.group_id == action.group_id,
                    Action.status == "ok",
                    Action.external_id.is_not(None),
                    Action.id != action.id,
                )
                .order_by(Action.id)
            ).first()
            if parent and ":" in parent:
                channel, thread_ts = parent.split(":", 1)  # reply where the thread started
        return SlackPost(channel, text, blocks, thread_ts)

    def _pace(self, channel: str) -> None:
        with self._lock:
            now = self.clock()
            start = max(now, self._next.get(channel, 0.0))
            self._next[channel] = start + MIN_INTERVAL
        if start > now:
            self.sleep(start - now)

    def _blocked(self, channel: str, retry_after: float) -> None:
        with self._lock:
            self._next[channel] = max(self._next.get(channel, 0.0), self.clock() + retry_after)

    def _send(self, post: SlackPost) -> httpx.Response:
        if self._bot:
            token = self.settings.slack_bot_token.get_secret_value()  # type: ignore[union-attr]
            body: dict[str, Any] = {
                "channel": post.channel,
                "text": post.text,
                "blocks": post.blocks,
                "unfurl_links": False,
            }
            if post.thread_ts:
                body["thread_ts"] = post.thread_ts
            return self.http.post(
                f"{self.settings.slack_api_url.rstrip('/')}/chat.postMessage",
                json=body,
                headers={"authorization": f"Bearer {token}"},
            )
        url = self.settings.slack_webhook_url.get_secret_value()  # type: ignore[union-attr]
        return self.http.post(url, json={"text": post.text, "blocks": post.blocks})

    def perform(self, prepared: SlackPost | None) -> ActionResult:
        """Post, at most once a second per channel; 429 -> retry after ``Retry-After``."""
        if prepared is None:
            return ActionResult.fail("group or its latest event is gone")
        self._pace(prepared.channel)
        try:
            response = self._send(prepared)
        except httpx.HTTPError as exc:
            return ActionResult.retry(f"Slack unreachable: {type(exc).__name__}")
        if response.status_code == 429:
            header = response.headers.get("retry-after", "")
            wait = float(header) if header.isdigit() else 30.0
            self._blocked(prepared.channel, wait)
            return ActionResult.retry(f"Slack rate limit; retry after {wait:g}s", retry_after=wait)
        if response.status_code >= 500:
            return ActionResult.retry(f"Slack answered HTTP {response.status_code}")
        if response.status_code >= 400:
            return ActionResult.fail(
                f"Slack refused the message: HTTP {response.status_code} "
                f"{scrub_text(response.text[:200], self.policy)}"
            )
        if not self._bot:
            return ActionResult.ok()
        try:
            data = response.json()
        except ValueError:
            return ActionResult.retry("Slack answered something that is not JSON")
        if not data.get("ok"):
            error = str(data.get("error", "unknown"))
            if error in ("ratelimited", "rate_limited", "service_unavailable", "internal_error"):
                return ActionResult.retry(f"Slack: {error}")
            return ActionResult.fail(f"Slack: {error}")
        return ActionResult.ok(
            external_id=f"{data.get('channel') or prepared.channel}:{data['ts']}"
        )

    def record(self, session: Session, action: Action, result: ActionResult) -> None:
        """Nothing local to write: the thread id is the action's external id."""
        del session, action, result
