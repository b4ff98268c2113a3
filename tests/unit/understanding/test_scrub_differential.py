"""The fast scrubber against a plain reference: every output identical.

`reference` is the scrubber as it was before its fast paths (dafa57d): every rule in order,
its gate checked on the text as it stands, on the whole text, then ``key=value`` pairs by
the span loop over each secret word's matches. The scrubber since adds a one-pass literal
search, RE2 gates and shape windows on long texts, one ``key=value`` pattern, remembered
card and IBAN verdicts: all of that must change no output. Texts are generated from the
corpus's samples and near-misses, key=value pieces, redaction tokens, non-ASCII letters
that fold onto ASCII ones, short and long (past `secrets.LONG_TEXT`, with the secrets few
and far apart, so the shape windows are used).
What is compared is one pass (`scrub._scrub_once`): `scrub_string` repeats it on short text
until nothing changes, which the idempotency fuzzers hold.
"""

from __future__ import annotations

import random
import re

import pytest

from autotriage.understanding import secret_patterns, secret_rules, secrets
from autotriage.understanding.scrub import _cookie, _scrub_once
from tests.secret_corpus import load_corpus

_SEP = r"(?:[_-]?(?:id|key|value|hash))?(?=[\"']?\s{0,8}(?:=>|[=:]))"
_WORDS = {
    "pass": "pass(?:word|wd|phrase)",
    "pwd": "pwd",
    "secret": "secret",
    "api": "api[_-]?key|apikey",
    "access": "access[_-]?key",
    "auth": "auth(?:orization)?",
    "credential": "credentials?",
    "token": "token",
    "private": "private[_-]?key",
    "sess": "session(?:[_-]?id)?|sessid",
    "cookie": "cookie",
    "signature": "signature",
    "dsn": "dsn",
    "account": "account[_-]?key",
}
_WORD_ENDS = [re.compile(f"(?:{words}){_SEP}") for words in _WORDS.values()]
_SEP_VALUE = re.compile(
    r"(?P<sep>[\"']?\s{0,8}(?:=>|[=:])\s{0,8}(?:(?:[rR][bBfF]?|[bBfF][rR]?|[uU])(?=[\"']))?)"
    r"(?P<value>\"(?:[^\"\\\n]|\\.){0,2048}+\"|'(?:[^'\\\n]|\\.){0,2048}+'|[^\s,;&)}\]\"']++)"
)


def _token(key: str, quote: str = "") -> str:
    kind = re.sub(r"[^a-z0-9_]", "_", key.lower()).strip("_")[:40] or "secret"
    if secret_patterns.KV_TOKENISH.search(kind):  # a token's prefix or a card in the key
        kind = "secret"
    return f"{quote}[REDACTED:{kind}]{quote}"


_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s"})


def _key_values(text: str) -> str:
    """The span loop: each secret word's end, the key left of it, the value after it."""
    folded = text.translate(_FOLD).lower()
    spans: dict[int, int] = {}
    for pattern in _WORD_ENDS:
        for match in pattern.finditer(folded):
            spans.setdefault(match.end(), match.start())
    out, done, redacted = [], 0, 0
    for start, end in sorted((start, end) for end, start in spans.items()):
        if start < done or start < redacted:
            continue
        floor = max(end - 61, done)
        while start > floor and (text[start - 1].isalnum() or text[start - 1] in "_.-"):
            start -= 1
        if start == end - 61 or (start and (text[start - 1].isalnum() or text[start - 1] in "_.-")):
            continue
        found = _SEP_VALUE.match(text, end)
        if found is None:
            continue
        begin, done_at = found.span("value")
        value = text[begin:done_at]
        if (at := value.find("[REDACTED")) >= 0:
            redacted = begin + at if value[0] not in "\"'" else redacted
            continue
        if text.startswith(" [REDACTED", done_at) and value.lower() in secret_patterns.SCHEMES:
            continue
        out.append(text[done:begin])
        out.append(_token(text[start:end], value[0] if value[0] in "\"'" else ""))
        done = done_at
    return "".join(out) + text[done:]


def reference(text: str, emails: bool, ips: bool) -> str:
    """Every rule on the whole text, its gate checked on the text as it stands."""
    lower = text.lower()
    digits = sum(c.isdigit() for c in text) if text.isascii() else len(text)
    for _, gate, pattern, replace in secret_rules.RULES:
        if isinstance(gate, secret_patterns.Lower):
            if gate not in lower:
                continue
        elif isinstance(gate, str):
            if gate not in text:
                continue
        elif isinstance(gate, tuple):
            if not any(part in text for part in gate):
                continue
        elif not gate.met(text, digits):
            continue
        text = pattern.sub(replace, text)
    if "cookie" in lower:
        text = secret_patterns.COOKIE_HEADER.sub(_cookie, text)
    if "=" in text or ":" in text:
        text = _key_values(text)
    if emails and "@" in text:
        text = secret_patterns.EMAIL.sub("[REDACTED:email]", text)
    if ips:
        v4 = digits > 3 and "." in text
        v6 = "::" in text or text.count(":") >= 7
        if v4 or v6:
            text = secret_patterns.IPS[v4, v6].sub("[REDACTED:ip]", text)
    return text


_CORPUS = load_corpus()
_PIECES = [s["text"] for kind in _CORPUS for s in kind["samples"]]
_PIECES += [text for kind in _CORPUS for text in kind["near_misses"]]
_PIECES += [
    *("password", "PassWord", "pwd", "db_password", "x-auth-token", "TOKEN", "api_key"),
    *("session_id", "Cookie", "Authorization", "private_key", "auth_hash", "a" * 55, "r", "rb"),
    *("=", ":", "=>", " ", "  ", '"', "'", ",", ";", "&", ")", "]", "[", "\n", "\\", "\t"),
    *("[REDACTED:x]", "[REDACTED", "[redacted:y]", "Bearer", "basic", "x", "a.b", "-", "_"),
    *("\u0130", "\u0131", "\u017f", "\u212a", "p\u0131", "\u00e9", "\u03a3", "1", "@", "."),
    *("\u017fecret", "credential\u017f", "Se\u017f\u017f\u0130on", "to\u212aen", "_" * 3, "x" * 38),
    *("4111 1111 1111 1111", "123-45-6789", "10.1.2.3", "fe80::1", "a@b.co"),
]
_FILLER = "the quick brown fox jumps over 12 lazy dogs at line 3, in f(): "
# Non-ASCII filler: long texts that are not ASCII (RE2 reads their UTF-8 bytes).
_WIDE_FILLER = "le renard brun saute — 日本語 😀 ıé ٣٤ at line 3: "


def _text(rng: random.Random, long: bool) -> str:
    parts = [rng.choice(_PIECES) for _ in range(rng.randint(1, 12))]
    if not long:
        return "".join(parts)
    # A few pieces far apart in plain filler (or one piece repeated): windows and floods.
    base = rng.choice((_FILLER, _WIDE_FILLER))
    filler = base * rng.randint(1, 40)
    if rng.random() < 0.2:
        return (parts[0] + " ") * (secrets.LONG_TEXT // (len(parts[0]) + 1) + 1)
    return filler.join(parts) + filler * (secrets.LONG_TEXT // len(base) + 1)


@pytest.mark.parametrize("seed", range(3))
def test_the_scrubber_matches_the_reference_on_generated_texts(seed: int) -> None:
    rng = random.Random(seed)
    for n in range(1200):
        text = _text(rng, long=n % 25 == 0)
        for emails, ips in ((True, False), (False, True)):
            assert _scrub_once(text, emails, ips) == reference(text, emails, ips), repr(text)


def test_the_reference_is_the_scrubber_on_the_corpus() -> None:
    for piece in _PIECES:
        assert _scrub_once(piece, True, True) == reference(piece, True, True), piece
