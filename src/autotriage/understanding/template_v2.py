"""The message template of fingerprint version 2, frozen: only to find groups it made.

Version 3 (`autotriage.understanding.parameterize`) masks more (paths, units, literals,
bracketed names...), so a message can template differently there. Groups made by version 2
are still found through the hash this template gives (`fingerprint.legacy`). The rules
here must never change; a message longer than `LIMIT` characters is cut before templating,
which keeps the token rules linear-time (version 2 had no such cut, so a group made from
such a message by version 2 is not found again: the price of bounded work).
"""

from __future__ import annotations

import re

LIMIT = 16_384
_TLD = (
    r"(?:com|net|org|io|dev|app|cloud|internal|local|localdomain|lan|edu|gov|mil|info|biz|svc"
    r"|cluster|(?!js|py|go|rb|cs|ts|sh|so|gz|md|db|pl|rs|kt|hs|ex|py|cc|hh|el)[a-z]{2})"
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s\"'<>()\[\]{}]+")
_HOSTNAME = re.compile(
    rf"\b(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{{0,61}}[a-zA-Z0-9])?\.)+{_TLD}\b(?![.\w-])"
    r"(?::\d{1,5})?"
)
_QUOTED = re.compile(r"(?<==)(?:\"[^\"]*\"|'[^']*')")
_RUN = re.compile(r"<\*>(?:[\s/.,:_-]*<\*>)+")
_DELIMITERS = re.compile(r"([\s<>=:,;()\[\]{}\"'|]+)")
_DIGIT = re.compile(r"\d")
_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec January February March April June"
_MONTHS += " July August September October November December"
_DAYS = "Mon Tue Wed Thu Fri Sat Sun Monday Tuesday Wednesday Thursday Friday Saturday Sunday"
_WORDS = frozenset(f"{_MONTHS} {_DAYS} true false True False null None nil".split())
_NAME_WORDS = frozenset({"user", "User", "users", "username", "Username"})


def _token(token: str) -> str:
    if _DIGIT.search(token):
        return "<*>"
    if "@" in token and len(token) <= 255 and _EMAIL.fullmatch(token):
        return "<*>"
    if "." in token and len(token) <= 255 and _HOSTNAME.fullmatch(token):
        return "<*>"
    if token in _WORDS:
        return "<?>"
    return token


def template_v2(message: str) -> str:
    """Version 2's grouping template of `message` (of its first `LIMIT` characters)."""
    text = " ".join(message[:LIMIT].split())
    if "='" in text or '="' in text:
        text = _QUOTED.sub("<*>", text)
    if "://" in text:
        text = _URL.sub("<*>", text)
    parts = _DELIMITERS.split(text)
    originals = parts[::2]
    tokens = [_token(t) for t in originals]
    if "<?>" in tokens or "=" in text or "user" in text or "User" in text:
        tokens = _resolve_words(originals, tokens, parts[1::2])
    parts[::2] = tokens
    text = "".join(parts)
    return _RUN.sub("<*>", text) if text.count("<*>") > 1 else text


def _resolve_words(originals: list[str], tokens: list[str], delimiters: list[str]) -> list[str]:
    out = list(tokens)
    last = len(out) - 1
    for i in range(1, last + 1):
        if (
            out[i]
            and out[i] != "<*>"
            and (
                delimiters[i - 1].endswith("=")
                or (delimiters[i - 1] == " " and originals[i - 1] in _NAME_WORDS)
            )
        ):
            out[i] = "<*>"
    if "<?>" in out:
        for order in (range(last + 1), range(last, -1, -1)):
            for i in order:
                if out[i] == "<?>" and (
                    (i > 0 and out[i - 1] == "<*>") or (i < last and out[i + 1] == "<*>")
                ):
                    out[i] = "<*>"
    return [originals[i] if value == "<?>" else value for i, value in enumerate(out)]
