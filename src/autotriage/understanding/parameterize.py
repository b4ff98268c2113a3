"""Turn a message into its template: the variable parts replaced by placeholders.

Only fingerprints see templates; stored titles keep the original message. The shapes follow
Sentry's message parameterization (emails, URLs, hostnames, IPs, UUIDs, hex ids and SHAs,
dates and times, durations, numbers, quoted values after ``=``), extended with the token
rule log-template miners use: a token that contains a digit is data (``blk_-695229``,
``req-8f3a``, ``user42``, ``ip-10-0-0-7``), because in log text it almost always is; and
a few positional rules: any value after ``=``, the word after ``user``, a month or weekday
next to other date parts.

`template` is pure and deterministic: two messages that differ only in their data give the
same string on any machine, in any order — a stateless grouping key. Every placeholder is
the same ``<*>`` there, and a run of them collapses to one, because the *kind* of a value
(a hostname here, an IP there) varies between occurrences of one template.
`parameterize` gives the same result with named placeholders (``<email>``, ``<ip>``...) for
people to read.
"""

from __future__ import annotations

import re

_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?"
_DAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,?"
_TLD = (
    r"(?:com|net|org|io|dev|app|cloud|internal|local|localdomain|lan|edu|gov|mil|info|biz|svc"
    r"|cluster|(?!js|py|go|rb|cs|ts|sh|so|gz|md|db|pl|rs|kt|hs|ex|py|cc|hh|el)[a-z]{2})"
)

# One alternation, tried left to right at each position: the more specific shape first.
_SHAPES: list[tuple[str, str]] = [
    ("email", r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    ("url", r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s\"'<>()\[\]{}]+"),
    (
        "date",
        r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?"
        r"(?:Z|\s?[+-]\d{2}:?\d{2})?)?\b"
        rf"|\b(?:{_DAY}\s+)?{_MONTH}\s+\d{{1,2}}(?:,?\s+\d{{4}})?(?:\s+\d{{1,2}}:\d{{2}}"
        r"(?::\d{2}(?:[.,]\d+)?)?)?(?:\s+\d{4}\b)?"
        r"|\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\b",
    ),
    (
        "uuid",
        r"\b[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}\b",
    ),
    (
        "ip",
        r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?(?![\w.])"
        r"|(?<![\w:])(?:[0-9a-fA-F]{1,4}:){2,7}[0-9a-fA-F]{1,4}(?![\w:])"
        r"|(?<![\w:])(?:[0-9a-fA-F]{1,4}:){1,6}:(?:[0-9a-fA-F]{1,4})?(?![\w:])",
    ),
    (
        "hostname",
        rf"\b(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{{0,61}}[a-zA-Z0-9])?\.)+{_TLD}\b(?![.\w-])"
        r"(?::\d{1,5})?",
    ),
    ("hex", r"\b0[xX][0-9a-fA-F]+\b|\b(?=[0-9a-fA-F]*\d)[0-9a-fA-F]*[a-fA-F][0-9a-fA-F]*\b"),
    (
        "duration",
        r"\b\d+(?:\.\d+)?\s?(?:ns|us|µs|ms|s|sec|secs|seconds?|mins?|minutes?|h|hrs?|hours?"
        r"|days?)\b",
    ),
    ("quoted", r"(?<==)(?:\"[^\"]*\"|'[^']*')"),
    ("bool", r"(?<==)(?:true|false|True|False|null|None|nil)\b"),
    # Whatever token still holds a digit: numbers, counters, ids such as req_8f3a2 or blk_-69.
    ("int", r"[^\s<>=:,;()\[\]{}\"'|]*\d[^\s<>=:,;()\[\]{}\"'|]*"),
]
_SHAPE = re.compile("|".join(f"(?P<{kind}>{pattern})" for kind, pattern in _SHAPES))
_RUN = re.compile(r"<\*>(?:[\s/.,:_-]*<\*>)+")


_DELIMITERS = re.compile(r"([\s<>=:,;()\[\]{}\"'|]+)")
_DIGIT = re.compile(r"\d")
_EMAIL = re.compile(_SHAPES[0][1])
_URL = re.compile(_SHAPES[1][1])
_HOSTNAME = re.compile(_SHAPES[5][1])
_QUOTED = re.compile(r"(?<==)(?:\"[^\"]*\"|'[^']*')")
_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec January February March April June"
_MONTHS += " July August September October November December"
_DAYS = "Mon Tue Wed Thu Fri Sat Sun Monday Tuesday Wednesday Thursday Friday Saturday Sunday"
_WORDS = frozenset(f"{_MONTHS} {_DAYS} true false True False null None nil".split())
_NAME_WORDS = frozenset({"user", "User", "users", "username", "Username"})
_KEEP: dict[str, str] = {}
# Log streams repeat identical lines; their templates are remembered (bounded in count and
# in message length, so at most a few MB).
_MEMO: dict[str, str] = {}
_MEMO_LIMIT = 20_000
_MEMO_MAX_LENGTH = 512
_READABLE_LIMIT = 2000
_KEEP_LIMIT = 200_000
_KEEP_MAX_LENGTH = 64


def _token(token: str) -> str:
    if _DIGIT.search(token):
        return "<*>"
    if "@" in token and _EMAIL.fullmatch(token):
        return "<*>"
    if "." in token and _HOSTNAME.fullmatch(token):
        return "<*>"
    if token in _WORDS:
        return "<?>"  # a date word or a literal: data only next to other data, decided below
    if len(_KEEP) < _KEEP_LIMIT and len(token) <= _KEEP_MAX_LENGTH:
        # Only short digit-free tokens are cached: words repeat, ids and blobs do not (and
        # a cache of 200,000 long tokens would hold gigabytes).
        _KEEP[token] = token
    return token


def template(message: str) -> str:
    """The grouping template of `message`: every variable part one ``<*>``.

    Works token by token (split at whitespace and at ``=:,;()[]{}<>"'|``), which is what
    makes it fast enough for log streams: digit-free tokens are remembered, a token with a
    digit is data without further thought, and only the rare ``@``, ``://`` or dotted
    tokens meet a regular expression. Whitespace runs collapse to one space.
    """
    known = _MEMO.get(message)
    if known is not None:
        return known
    result = compute_template(message)
    if len(message) <= _MEMO_MAX_LENGTH:
        if len(_MEMO) >= _MEMO_LIMIT:
            _MEMO.clear()  # a crude bound: cheaper than LRU bookkeeping on every call
        _MEMO[message] = result
    return result


def compute_template(message: str) -> str:
    """`template` without the cache of repeated messages."""
    text = message
    if "  " in text or "\t" in text or "\n" in text or "\r" in text or text[:1].isspace():
        text = " ".join(text.split())
    elif text[-1:].isspace():
        text = text.rstrip()
    if "='" in text or '="' in text:
        text = _QUOTED.sub("<*>", text)
    if "://" in text:
        text = _URL.sub("<*>", text)
    parts = _DELIMITERS.split(text)
    keep = _KEEP
    has_digit = _DIGIT.search
    originals = parts[::2]
    # Inlined for speed: a cached word, else "<*>" for any token with a digit, else classify.
    tokens = [keep.get(t) or ("<*>" if has_digit(t) else _token(t)) for t in originals]
    if "<?>" in tokens or "=" in text or "user" in text or "User" in text:
        tokens = _resolve_words(originals, tokens, parts[1::2])
    parts[::2] = tokens
    text = "".join(parts)
    return _RUN.sub("<*>", text) if text.count("<*>") > 1 else text


def _resolve_words(originals: list[str], tokens: list[str], delimiters: list[str]) -> list[str]:
    # Words that are data by position: a month or weekday next to a masked value is part of
    # a date ("Sat Jun 4 12:00:01"; two sweeps let "Sat" see "4" through "Jun"), a value
    # after "=" is a value (Sentry masks quoted ones; unquoted ones are data just as often),
    # and the word after "user" is a user name ("Invalid user admin from ...").
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


def parameterize(message: str) -> str:
    """`message` with every variable part replaced by a named placeholder, such as ``<ip>``.

    For people to read (the first 2,000 characters); it uses the shape expressions rather
    than `template`'s token fast path, so a value's kind shows even when it holds no digit.
    """

    def name(match: re.Match[str]) -> str:
        return f"<{match.lastgroup}>"

    # The named expressions backtrack on pathological input; people read short messages.
    return _SHAPE.sub(name, " ".join(message[:_READABLE_LIMIT].split()))
