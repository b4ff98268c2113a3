"""Slack: errors taken out of channel messages (Events API), and the simple ``{"text": ...}``.

Docs: https://api.slack.com/authentication/verifying-requests-from-slack (v0 signatures),
https://api.slack.com/apis/events-api (``url_verification``, ``event_callback``, retries
with ``X-Slack-Retry-Num``), https://api.slack.com/events/message and
https://api.slack.com/messaging/webhooks (the incoming-webhook body the simple use posts).

Field mapping: the message's ``text``, then (when the text is empty) its ``blocks``, and
its ``attachments`` (alert bots put the content there) -> message and, for tracebacks,
exceptions; ``channel:ts`` -> source_event_id; ``ts`` -> occurred_at; channel, bot or
user name -> tags; the first link in the message -> link. A message with no error in it,
and any message autotriage itself posted, is `Ignored`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from slack_sdk.signature import Clock, SignatureVerifier

from autotriage.errors import Ignored, PayloadInvalid, SignatureInvalid
from autotriage.models import ErrorEvent, ExceptionInfo
from autotriage.sources.base import load_json, require_object
from autotriage.understanding.text import parse_text

NAME = "slack"
MAX_SKEW_SECONDS = 300
# Slack escapes "<" and ">" inside links and mentions, so neither may span one: an unclosed
# "<http://a|<http://a|..." then fails at the next "<" instead of rescanning the rest of
# the text for every "<" (quadratic), and the possessive repeats never give back.
_LINK = re.compile(r"<(?P<url>[a-z]+://[^|<>]++)(?:\|(?P<label>[^<>]*+))?>")
_MENTION = re.compile(r"<[@#!][^<>]*+>")
_EMOJI = re.compile(r"(?<!\S):[a-z0-9_+-]+:(?!\S)")
_ERRORISH = re.compile(
    r"Traceback \(most recent call last\)|\b\w*(?:Error|Exception)\b"
    r"|\b(?:ERROR|FATAL|CRITICAL|PANIC|panic|FIRING|ALARM|Unhandled|Uncaught)\b"
    r"|(?i:\bcritical\b|\bexception\b|cloudwatch alarm|\bfatal\b)"
)
_RESOLVED = re.compile(r"^\s*(?:\[RESOLVED|RESOLVED\b|OK:|:white_check_mark:)", re.I)
_TITLE_EXC = re.compile(
    r"^(?:\[[^\]]+\]\s*)?(?P<type>[A-Za-z_][\w.]*(?:Error|Exception)):\s?(?P<value>.*)$"
)
_IGNORED_SUBTYPES = frozenset(
    {
        "message_changed",
        "message_deleted",
        "channel_join",
        "channel_leave",
        "channel_topic",
        "channel_purpose",
        "channel_name",
        "pinned_item",
        "unpinned_item",
        "ekm_access_denied",
        "message_replied",
        "group_join",
        "group_leave",
        "bot_add",
        "bot_remove",
    }
)


# --- verification ----------------------------------------------------------------------


class _At(Clock):
    """slack_sdk's clock, pinned to the injected `now`."""

    def __init__(self, now: float) -> None:
        self._now = now

    def now(self) -> float:
        return self._now


def verify(body: bytes, headers: Mapping[str, str], secret: str, now: float) -> None:
    """Check ``X-Slack-Signature`` (HMAC-SHA256 of ``v0:ts:body``) and a 5-minute window.

    `headers` have lower-case names; `now` is the injected clock (epoch seconds). The
    header checks here give each refusal its reason; slack_sdk's `SignatureVerifier`
    computes and compares the signature over the raw bytes.
    """
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not timestamp or not signature:
        raise SignatureInvalid("missing X-Slack-Signature or X-Slack-Request-Timestamp")
    if not timestamp.isdigit():
        raise SignatureInvalid("X-Slack-Request-Timestamp is not a number")
    if abs(now - int(timestamp)) > MAX_SKEW_SECONDS:
        raise SignatureInvalid("X-Slack-Request-Timestamp is more than 5 minutes from now")
    try:
        body.decode()  # slack_sdk signs the body as text; Slack only ever sends UTF-8
    except UnicodeDecodeError:
        raise SignatureInvalid("the body is not UTF-8, so Slack did not sign it") from None
    if not SignatureVerifier(secret, clock=_At(now)).is_valid(body, timestamp, signature):
        raise SignatureInvalid("X-Slack-Signature does not match the body")


# --- message text ----------------------------------------------------------------------


def clean_mrkdwn(text: str) -> str:
    """Slack mrkdwn as plain text: links as their label, entities decoded, fences opened."""
    text = _LINK.sub(lambda m: m["label"] or m["url"], text)
    text = _MENTION.sub("", text)
    text = text.replace("```", "\n")
    text = html.unescape(text)
    text = _EMOJI.sub("", text)
    lines = [line.rstrip() for line in text.split("\n")]
    return "\n".join(line for line in lines if line.strip())


def _rich_text(element: Any) -> Iterable[str]:
    if isinstance(element, dict):
        kind = element.get("type")
        if kind == "text" and isinstance(element.get("text"), str):
            yield element["text"]
        elif kind == "link":
            yield str(element.get("text") or element.get("url") or "")
        if kind in (
            "rich_text_preformatted",
            "rich_text_section",
            "rich_text_quote",
            "rich_text_list",
            "rich_text",
        ):
            for child in element.get("elements") or []:
                yield from _rich_text(child)
            yield "\n"
    elif isinstance(element, list):
        for child in element:
            yield from _rich_text(child)


def _block_text(blocks: Any) -> list[str]:
    out: list[str] = []
    for block in blocks if isinstance(blocks, list) else []:
        if not isinstance(block, dict):
            continue
        kind = block.get("type")
        if kind == "rich_text":
            out.append("".join(_rich_text(block)))
        text = block.get("text")
        if isinstance(text, dict) and isinstance(text.get("text"), str):
            out.append(text["text"])
        for item in block.get("fields") or []:
            if isinstance(item, dict) and isinstance(item.get("text"), str):
                out.append(item["text"])
        if kind == "context":
            out += [
                e["text"]
                for e in block.get("elements") or []
                if isinstance(e, dict) and isinstance(e.get("text"), str)
            ]
    return out


def _attachment_text(attachments: Any) -> list[str]:
    out: list[str] = []
    for item in attachments if isinstance(attachments, list) else []:
        if not isinstance(item, dict):
            continue
        parts = [str(item[k]) for k in ("pretext", "title", "text") if item.get(k)]
        for field in item.get("fields") or []:
            if isinstance(field, dict):
                parts.append(f"{field.get('title', '')}: {field.get('value', '')}".strip(": "))
        parts += _block_text(item.get("blocks"))
        if not parts and item.get("fallback"):
            parts.append(str(item["fallback"]))
        out += parts
    return out


def message_text(message: Mapping[str, Any]) -> str:
    """Everything readable in a message: text (else blocks), then attachments."""
    parts: list[str] = []
    text = message.get("text")
    if isinstance(text, str) and text.strip():
        parts.append(text)
    else:
        parts += _block_text(message.get("blocks"))
    parts += _attachment_text(message.get("attachments"))
    return clean_mrkdwn("\n".join(parts))


def _first_link(message: Mapping[str, Any]) -> str | None:
    for match in _LINK.finditer(str(message)):
        if match["url"].startswith("https://"):
            return match["url"]
    for item in message.get("attachments") or []:
        if isinstance(item, dict) and isinstance(item.get("title_link"), str):
            return str(item["title_link"])
    return None


def looks_like_error(text: str) -> bool:
    """Whether message text reports an error (resolved alerts do not)."""
    return bool(text.strip()) and not _RESOLVED.match(text) and bool(_ERRORISH.search(text))


def error_from_text(text: str, **fields: Any) -> ErrorEvent:
    """An event from message text; an ``XError: value`` first line names the exception."""
    event = parse_text(text, source=NAME)[0]
    if not event.exceptions:
        first = text.strip().split("\n", 1)[0]
        match = _TITLE_EXC.match(first.strip())
        if match:
            exc = ExceptionInfo(type=match["type"], value=match["value"])
            event = event.model_copy(update={"exceptions": [exc], "message": first})
    return event.model_copy(update=fields)


# --- Events API --------------------------------------------------------------------------


OWN_MARKER = "autotriage · "  # the context line of `autotriage.actions.slack` posts


def _has_marker(message: Mapping[str, Any]) -> bool:
    for block in message.get("blocks") or []:
        if isinstance(block, dict) and block.get("type") == "context":
            for element in block.get("elements") or []:
                text = element.get("text") if isinstance(element, dict) else None
                if isinstance(text, str) and text.startswith(OWN_MARKER):
                    return True
    return False


def own_ids(payload: Mapping[str, Any]) -> set[str]:
    """Our app and bot user ids, as the payload names them: their posts are never ingested."""
    ids = {str(payload["api_app_id"])} if payload.get("api_app_id") else set()
    for auth in payload.get("authorizations") or []:
        if isinstance(auth, dict) and auth.get("is_bot") and auth.get("user_id"):
            ids.add(str(auth["user_id"]))
    return ids


def parse_event_callback(payload: Mapping[str, Any]) -> list[ErrorEvent]:
    """The error in an ``event_callback`` message event; `Ignored` when there is none."""
    event = payload.get("event")
    if not isinstance(event, dict):
        raise PayloadInvalid("`event` must be an object")
    if event.get("type") not in ("message", "app_mention"):
        raise Ignored(f"event type {event.get('type')!r} is not a message")
    if event.get("subtype") in _IGNORED_SUBTYPES or event.get("hidden"):
        raise Ignored(f"message subtype {event.get('subtype')!r} carries no new error")
    ours = own_ids(payload)
    if ours & {str(event.get(k)) for k in ("app_id", "user", "bot_id") if event.get(k)}:
        raise Ignored("autotriage's own message")
    if _has_marker(event):  # posted through an incoming webhook of another app
        raise Ignored("autotriage's own message")
    text = message_text(event)
    if not looks_like_error(text):
        raise Ignored("no error in this message")
    channel = str(event.get("channel") or "")
    ts = str(event.get("ts") or event.get("event_ts") or "")
    occurred = None
    try:
        occurred = datetime.fromtimestamp(float(ts), UTC) if ts else None
    except (ValueError, OverflowError, OSError):  # not a number, or past what a datetime holds
        occurred = None
    profile = event.get("bot_profile")
    who = event.get("username") or (profile.get("name") if isinstance(profile, dict) else None)
    who = who or event.get("user")
    tags = {"slack_channel": channel, "slack_poster": str(who or "")}
    return [
        error_from_text(
            text,
            source_event_id=f"{channel}:{ts}" if channel and ts else payload.get("event_id"),
            occurred_at=occurred,
            tags={k: v for k, v in tags.items() if v},
            link=_first_link(event),
            contexts={"slack": {"channel": channel, "ts": ts, "team": payload.get("team_id")}},
            raw=dict(payload),
        )
    ]


def channel_of(payload: Mapping[str, Any]) -> str | None:
    """The channel an ``event_callback`` happened in."""
    event = payload.get("event")
    return str(event.get("channel")) if isinstance(event, dict) and event.get("channel") else None


def parse(body: bytes, headers: Mapping[str, str]) -> list[ErrorEvent]:
    """An ``event_callback`` body, or the simple ``{"text": ...}`` (incoming-webhook style)."""
    del headers
    payload = require_object(load_json(body))
    if payload.get("type") == "event_callback":
        return parse_event_callback(payload)
    if payload.get("type") == "url_verification":
        raise Ignored("url_verification carries no event")
    text = payload.get("text")
    blocks_or_attachments = payload.get("blocks") or payload.get("attachments")
    if (not isinstance(text, str) or not text.strip()) and not blocks_or_attachments:
        raise PayloadInvalid("`text` must be a non-empty string")
    cleaned = message_text(payload)
    if not cleaned.strip():
        raise PayloadInvalid("the message has no text")
    return [error_from_text(cleaned)]


def sniff(body: bytes) -> bool:
    """True for a JSON object with a ``text`` field (or a Slack event) and nothing Sentry-like."""
    head = body[:2048].lstrip()
    return (
        head.startswith(b"{")
        and (b'"text"' in head or b'"event_callback"' in head)
        and b'"exception"' not in body
    )
