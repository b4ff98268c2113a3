"""Redact the value of every secret-named key in a text (``password=...``, ``"token": "..."``).

One `re.sub` with a cheap callback does it all: a flood of ``key=value`` pairs costs one C
scan and one short Python call per pair. A key is the whole run of ``[\\w.-]`` (at most 60
long) that a secret word of `autotriage.understanding.secrets` ends, and a separator
follows. A value that already holds a redaction (or an auth scheme before its redacted
token) fails the match, so the scan goes on inside it and scrubbing twice changes nothing.
"""

from __future__ import annotations

import re
from functools import lru_cache

from autotriage.understanding.secrets import KEY_WORDS

_KEY_WORDS_LIST = KEY_WORDS.split("|")

_KEY_CHAR = r"[\w.-]"
_QUOTED = r"\"(?:[^\"\\\n]|\\.){0,2048}+\"|'(?:[^'\\\n]|\\.){0,2048}+'"
_BARE = r"[^\s,;&)}\]\"']++"
# What holds "[REDACTED" before a quoted value closes (escapes paired so that `\"` is
# no close), or before a bare one ends.
_QUOTED_REDACTED = "|".join(
    rf"{q}(?:[^{q}\\\n\[]|\\[^\[\n]|\\(?=\[)|\[(?!REDACTED))*+\[REDACTED" for q in ('"', "'")
)
_BARE_REDACTED = r"(?:[^\s,;&)}\]\"'\[]|\[(?!REDACTED))*+\[REDACTED"


_KELVIN = "\u212a"


def _lower_is(word: str) -> str:
    """What ``value.lower() == word`` accepts, per character (the Kelvin sign lowers to k)."""
    return "".join(
        f"[{c}{c.upper()}{_KELVIN if c == 'k' else ''}]" if c.isalpha() else re.escape(c)
        for c in word
    )


_SCHEMES = ("bearer", "basic", "token", "digest", "negotiate", "bot", "aws4-hmac-sha256", "sentry")
_SCHEME_REDACTED = f"(?:{'|'.join(map(_lower_is, _SCHEMES))}) \\[REDACTED"
# The words by first letter: a class the engine skips to in C, then the rest of the word.
_FIRST = {"p": "pP", "s": "sS\u017f", "a": "aA", "c": "cC", "t": "tT", "d": "dD"}
_WORDS_AFTER = "|".join(
    rf"(?<=[{cases}])(?i:{'|'.join(w[1:] for w in _KEY_WORDS_LIST if w[0] == first)})"
    for first, cases in _FIRST.items()
)
KEY_VALUE = re.compile(
    rf"(?P<word>[{''.join(_FIRST.values())}](?:{_WORDS_AFTER})(?i:[_-]?(?:id|key|value|hash))?)"
    rf"(?<!{_KEY_CHAR}{{61}})"  # a key of 61 or more is no key
    # "=>" is the separator when a value follows it, else "=" is (and ">" the value).
    rf"(?>[\"']?\s{{0,8}}(?:=>\s{{0,8}}(?=(?:{_QUOTED})|[^\s,;&)}}\]\"'])|[=:]\s{{0,8}}))"
    # A string prefix (f"...", rb'...') belongs to the value when a quoted value follows it.
    rf"(?>(?:[rR][bBfF]?|[bBfF][rR]?|[uU])(?=(?:{_QUOTED}))|)"
    rf"(?P<value>(?=[\"'])(?!{_QUOTED_REDACTED})(?:{_QUOTED})"
    rf"|(?![\"'])(?!{_BARE_REDACTED})(?!{_SCHEME_REDACTED}){_BARE})"
)


@lru_cache(maxsize=4096)
def _kind_of(key: str) -> str:
    return re.sub(r"[^a-z0-9_]", "_", key.lower()).strip("_")[:40] or "secret"


def _key_start(text: str, start: int) -> int:
    """Where the run of key characters that ends at `start` begins (at most 60 back)."""
    while start and (text[start - 1].isalnum() or text[start - 1] in "_.-"):
        start -= 1
    return start


def _redacted(match: re.Match[str]) -> str:
    text, start, value = match.string, match.start(), match.start("value")
    if start and (text[start - 1].isalnum() or text[start - 1] in "_.-"):
        start = _key_start(text, start - 1)
    quote = text[value] if text[value] in "\"'" else ""
    kind = _kind_of(text[start : match.end("word")])
    return f"{text[match.start() : value]}{quote}[REDACTED:{kind}]{quote}"


_ANCHORS = ("pass", "pwd", "secret", "api", "access", "auth", "credential", "token", "private")
_ANCHORS += ("sess", "cookie", "signature", "dsn", "account")  # each word starts with one
_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s"})  # then lower(): as (?i)


def redact_key_values(text: str, lower: str) -> str:
    """`text` (`lower`: its lower case) with the value of every secret-named key replaced
    by ``[REDACTED:key]``; a text without a secret word costs a few literal searches."""
    folded = lower if text.isascii() else text.translate(_FOLD).lower()
    if not any(anchor in folded for anchor in _ANCHORS):
        return text
    return KEY_VALUE.sub(_redacted, text)
