"""Redact secrets from events and text before anything is stored or sent.

Redaction keeps the shape (``[REDACTED:aws_key]``) so a reader still understands the error.
"""

from __future__ import annotations

import re
from typing import Any

from autotriage.models import ErrorEvent

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        "private_key",
        re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S),
    ),
    ("aws_key", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    (
        "github_token",
        re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})\b"),
    ),
    ("slack_token", re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}\b")),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")),
    ("bearer", re.compile(r"(?i)(?<=bearer )[A-Za-z0-9._~+/=-]{8,}")),
    ("url_credentials", re.compile(r"(?<=://)[^/\s:@]+:[^/\s@]+(?=@)")),
]
_SECRET_KEYS = re.compile(
    r"(?i)\b(password|passwd|secret|api_?key|auth|credentials?|token|private_key|session|cookie)"
    r"(\s*[=:]\s*)(\"[^\"]*\"|'[^']*'|[^\s,;&]+)"
)


def scrub_text(text: str) -> str:
    """Return `text` with every secret it recognises replaced by a ``[REDACTED:kind]`` token."""
    for kind, pattern in _PATTERNS:
        text = pattern.sub(f"[REDACTED:{kind}]", text)
    return _SECRET_KEYS.sub(lambda m: f"{m[1]}{m[2]}[REDACTED:{m[1].lower()}]", text)


def _scrub_value(value: Any) -> Any:
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {
            k: "[REDACTED:key]" if _SECRET_KEYS.match(f"{k}=x") else _scrub_value(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_scrub_value(v) for v in value]
    return value


# Necessary conditions for every pattern above (and for a secret-named key), checked on
# the event's JSON with plain substring scans: most events hold no secret, and skipping
# the per-string regex walk for them halves the CPU cost of ingesting an event. Word
# boundaries are left out because JSON escapes (``\n``) can sit right before a word.
# Keep these in step with _PATTERNS and _SECRET_KEYS
# (tests/unit/sources_sentry/test_scrub_fast_path.py checks it).
_QUICK_EXACT = (
    "-----BEGIN", "AKIA", "ASIA", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_",
    "xoxa-", "xoxb-", "xoxp-", "xoxr-", "xoxs-", "eyJ",
)
_QUICK_ANY_CASE = (
    "bearer ", "password", "passwd", "secret", "apikey", "api_key", "auth", "credential",
    "token", "private_key", "session", "cookie",
)
_QUICK_URL = re.compile(r"://[^/\s:@]+:[^/\s@]+@")


def _may_hold_secret(text: str) -> bool:
    if any(marker in text for marker in _QUICK_EXACT):
        return True
    lowered = text.lower()
    if any(marker in lowered for marker in _QUICK_ANY_CASE):
        return True
    return "@" in text and _QUICK_URL.search(text) is not None


def scrub_event(event: ErrorEvent) -> ErrorEvent:
    """Return a copy of `event` with secrets redacted from every text field."""
    if not _may_hold_secret(event.model_dump_json()):
        return event  # nothing any pattern could match: scrubbing would change nothing
    data = event.model_dump()
    return ErrorEvent.model_validate(_scrub_value(data))
