"""Slack: the original design's simple use — an app posting ``{"text": "..."}``.

Docs: https://api.slack.com/messaging/webhooks (the incoming-webhook body we accept).
``text`` is read as raw error text (tracebacks in code fences included); a message
with no error in it yields no event.
"""

from __future__ import annotations

from collections.abc import Mapping

from autotriage.errors import PayloadInvalid
from autotriage.models import ErrorEvent
from autotriage.sources.base import load_json, require_object
from autotriage.understanding.text import parse_text

NAME = "slack"


def parse(body: bytes, headers: Mapping[str, str]) -> list[ErrorEvent]:
    """Read ``text`` of an incoming-webhook style message."""
    del headers
    payload = require_object(load_json(body))
    text = payload.get("text")
    if not isinstance(text, str) or not text.strip():
        raise PayloadInvalid("`text` must be a non-empty string")
    cleaned = text.replace("```", "\n")
    return parse_text(cleaned, source=NAME)


def sniff(body: bytes) -> bool:
    """True for a JSON object with a ``text`` field and nothing Sentry-like."""
    head = body[:2048].lstrip()
    return head.startswith(b"{") and b'"text"' in head and b'"exception"' not in body
