"""How `autotriage.understanding.scrub` finds which secret rules a string needs, and the
``key=value`` pass.

The rules (`autotriage.understanding.secret_rules`) each have a cheap gate, so most
strings skip most rules; long texts have their gates and the rules' shapes found by RE2
(linear, in C) first (`LongText`). ``key=value`` pairs are found from the secret words, by
one `split` whose per-pair work is done in C (`redact_key_values`). `bench/redos.py`
times it all.

Kinds redacted here: the values of secret-named keys (``password``, ``api_key``,
``token``, ``session``, ``signature``... as ``key=value``, JSON or dict repr, query
strings and signed URLs included); the rules' kinds are `secret_rules.KINDS`.
"""

from __future__ import annotations

import re
from itertools import compress, repeat
from operator import add, getitem
from typing import Any

from autotriage.understanding.secret_patterns import (
    ANCHORS,
    KEY_RUN,
    KEY_VALUE,
    KEY_VALUE_PLAIN,
    KV_LAST_61,
    KV_LEADING,
    KV_LONG,
    KV_MARKS,
    KV_NOT_KIND,
    KV_REVERSED,
    KV_RUN_BEFORE,
    KV_RUNS,
    KV_TO_40,
    KV_TOKEN_LITERALS,
    KV_TOKENISH,
    KV_TOKENISH_KIND,
    KV_TRAILING,
    SCHEMES,
    SHAPES_OF,
    ci,
)
from autotriage.understanding.secret_rules import CALLED, OPENED_BY, OPENED_BY_LOWER, RULES

try:
    import re2
except ImportError:  # the wheel is a dependency; without it only long texts slow down
    re2 = None


LONG_TEXT = 4096
"""Texts at least this long are searched by RE2 first (shorter ones cost less to scan
than to encode for RE2)."""


def _literal_set() -> Any:
    """One RE2 set of every gate literal (`Lower` ones ignoring case: a superset of the
    lower-case test) and every key word's start (`ANCHORS`, in any case, as `ci` reads them)."""
    found = re2.Set.SearchSet()
    for literal in OPENED_BY:
        found.Add(re.escape(literal))
    for literal in OPENED_BY_LOWER:
        found.Add("(?i)" + re.escape(literal))
    for anchor in ANCHORS:
        found.Add(ci(anchor))
    found.Compile()
    return found


_LITERAL_SET = _literal_set() if re2 is not None else None
_OPENS = [*OPENED_BY.values(), *OPENED_BY_LOWER.values()]
SHAPES = {kind: re2.compile(shape.encode()) for kind, shape in SHAPES_OF.items()} if re2 else {}
WINDOW = 1024
"""A rule's match lies within this of a match of its shape (the unbounded ones' shapes
end where their runs do)."""
_MOST_WINDOWS = 4096


def opened_in(data: bytes) -> tuple[set[int], bool]:
    """The rules the gate literals in `data` (a text's UTF-8) open, and whether it holds a
    key word's start, by RE2 in one pass; without RE2, every rule, and True."""
    if _LITERAL_SET is None:
        return set(range(len(RULES))), True
    opened: set[int] = set()
    words = False
    for index in _LITERAL_SET.Match(data) or ():
        if index < len(_OPENS):
            opened.update(_OPENS[index])
        else:
            words = True
    return opened, words


SET_TEXT = 64
"""Texts this long or longer (and shorter than `LONG_TEXT`) have their gate literals found
by `opened_in` (about 1 µs to call, then fast); shorter ones by `LITERALS` (fast to call,
slow per candidate character)."""


class LongText:
    """What a long text holds, by RE2 (linear, in C): the rules its gate literals open, in
    one pass; whether it holds a key word; whether it holds a kind's `SHAPES_OF` (each
    searched when asked). Without RE2, every rule and shape is taken as present."""

    __slots__ = ("data", "found", "opened", "words")

    def __init__(self, text: str) -> None:
        self.data = text.encode("utf-8", "surrogatepass")
        self.found: dict[str, bool] = {}
        self.opened, self.words = opened_in(self.data)
        self.opened.update(CALLED)

    def holds(self, kind: str) -> bool:
        """Whether the text holds `kind`'s shape (true for kinds that have none)."""
        shape = SHAPES.get(kind)
        if shape is None:
            return True
        if kind not in self.found:
            self.found[kind] = shape.search(self.data) is not None
        return self.found[kind]

    def windows(self, kinds: tuple[str, ...], text: str) -> list[tuple[int, int]] | None:
        """Spans of `text` (an ASCII text this one became) that hold every match of
        `kinds`: each match of their shapes widened by `WINDOW`; None when a shape occurs
        too often for windows to pay, or the text is not ASCII (then run on it all)."""
        if not text.isascii() or not all(kind in SHAPES for kind in kinds):
            return None
        data, edges = text.encode(), []
        for kind in kinds:
            for count, found in enumerate(SHAPES[kind].finditer(data)):
                if count == _MOST_WINDOWS:  # a flood: scanning it all costs less
                    return None
                edges.append((found.start() - WINDOW, found.end() + WINDOW))
        spans: list[tuple[int, int]] = []
        for start, end in sorted(edges):
            if spans and start <= spans[-1][1]:
                spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
            else:
                spans.append((max(start, 0), end))
        return spans


def redact_key_values(text: str) -> str:
    """`text` with the value of every ``key=value`` pair whose key names a secret replaced
    by ``[REDACTED:<key>]`` (`KEY_VALUE`; quotes stay). A flood of pairs is the costliest
    input, so the work per pair is done in C, not by a Python loop: `split` gives, per
    pair, the text before it, the word ending its key, the separator with any opening
    quote, the value and (`KEY_VALUE` only) any closing quote; keys and tokens are made by
    string operations on all of them joined, once per distinct key."""
    marked = "[REDACTED" in text
    step = 5 if marked else 4  # KEY_VALUE_PLAIN leaves a closing quote to the next text
    parts = (KEY_VALUE if marked else KEY_VALUE_PLAIN).split(text)
    if len(parts) == 1:
        return text
    pres, words, values = parts[0:-1:step], parts[1::step], parts[3::step]
    keys, runs = words, bool(KV_RUN_BEFORE.search("\x00".join(pres) + "\x00"))
    if runs:  # some key starts left of its word
        keys = list(map(add, map(getitem, _left_runs(pres, text), repeat(KV_REVERSED)), words))
    tokens = _distinct_tokens(keys, runs)
    if marked:
        afters, closes = parts[5::5], parts[4::5]
        for index in compress(range(len(values)), map(str.startswith, afters, repeat(KV_MARKS))):
            value = values[index]
            if afters[index][0] == "[":  # an unquoted value held up to its redaction
                if not closes[index]:
                    tokens[index] = value
            elif value.lower() in SCHEMES:  # a scheme before its redacted value
                tokens[index] = value
    if "" in values:  # an empty value hides nothing: marking it would let a later
        # pass read the marker as the value a header rule redacts under its own name
        tokens = [token if value else value for token, value in zip(tokens, values, strict=True)]
    parts[3::step] = tokens
    return "".join(parts)


def _distinct_tokens(keys: list[str], runs: bool) -> list[str]:
    """`_tokens` of `keys`, each distinct key's made once when keys repeat (a flood of
    pairs repeats a few: building one token per pair cost more than the lookups)."""
    distinct = list(dict.fromkeys(keys))
    if len(distinct) * 4 > len(keys):
        return _tokens(keys, runs)
    table = dict(zip(distinct, _tokens(distinct, runs), strict=True))
    return list(map(table.__getitem__, keys))


def _left_runs(pres: list[str], text: str) -> list[str]:
    """Reversed, the run of [\\w.-] that ends each text before a pair (where its key starts:
    the word's lookbehind keeps run and word under 61 characters, and no run reaches back
    past the pair before, which ends in a quote or before a stop character)."""
    tails: list[str] = list(map(getitem, pres, repeat(KV_LAST_61)))
    if "\x00" in text:
        return list(map(getitem, map(KEY_RUN.match, tails), repeat(0)))  # type: ignore[arg-type]
    runs: list[str] = KV_RUNS.findall("\x00" + "\x00".join(tails))
    return runs


def _tokens(keys: list[str], runs: bool) -> list[str]:
    """Each key's token, ``[REDACTED:kind]``: the key lowered, each character but [a-z0-9_]
    as "_", stripped of "_", cut to 40; made on all the keys joined (`runs`: whether some
    key is longer than its word, so may start with "_" or pass 40)."""
    kinds = "\n".join(keys).lower()
    if kinds.isascii():  # [\w.-] lowered: "-" and "." are all there is to replace
        kinds = kinds.replace("-", "_").replace(".", "_")
    else:  # a letter that lowers to non-ASCII ("\u017fecret") may end or start a key
        kinds = KV_NOT_KIND.sub("_", kinds)
        if "_\n" in kinds or kinds.endswith("_"):
            kinds = KV_TRAILING.sub("\n", kinds + "\n")[:-1]
        runs = True
    if runs:  # a key longer than its word may hold a token's prefix: its kind is "secret"
        kinds = KV_LEADING.sub("\n", kinds).lstrip("_")
        if KV_LONG.search("\n" + kinds):
            kinds = "\n".join(map(getitem, kinds.split("\n"), repeat(KV_TO_40)))
        if any(map(kinds.__contains__, KV_TOKEN_LITERALS)) and KV_TOKENISH.search(kinds):
            kinds = KV_TOKENISH_KIND.sub("secret", kinds)
    return ("[REDACTED:" + kinds.replace("\n", "]\n[REDACTED:") + "]").split("\n")
