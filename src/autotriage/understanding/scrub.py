"""Redact secrets from events before they are stored, and from text before it leaves.

Redaction keeps the shape (``[REDACTED:aws_key]``) so a reader still understands the error,
and runs at intake, before fingerprinting, so a secret never splits a group. The rules live
in `autotriage.understanding.secret_rules`, `autotriage.understanding.secrets` finds which
a string needs and does the ``key=value`` pass; `scrub_string` applies them to one string.
Mapping keys are scrubbed like values (a tag *key* can hold a token), and the value under a
secret-named key is replaced whole. Scrubbing is idempotent (`RESCRUB_BELOW`).
`scrub_text` redacts emails by default (text that leaves goes to people); `scrub_event`
keeps them (the stored event is ours), unless told otherwise. Every memo is bounded: its
keys are attacker text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson

from autotriage.config_sections import ScrubSettings
from autotriage.models import ErrorEvent, payload_data
from autotriage.understanding import secret_patterns as patterns
from autotriage.understanding import secret_rules as rules
from autotriage.understanding import secrets
from autotriage.understanding.secret_patterns import SECRET_KEY

_NO_DIGITS = str.maketrans("", "", "0123456789")


def _cookie(match: re.Match[str]) -> str:
    return f"{match['key']}[REDACTED:cookie]"


def _sub(
    pattern: re.Pattern[str], replace: Any, text: str, long: secrets.LongText | None, *kinds: str
) -> str:
    """`pattern.sub(replace, text)`, run in `long`'s windows of `kinds` when it has them
    (a match is taken only if it ends inside its window, with real text after it)."""
    spans = None if long is None else long.windows(kinds, text)
    if spans is None:
        return pattern.sub(replace, text)
    out, done = [], 0
    for start, end in spans:
        for found in pattern.finditer(text, start, end + 64):
            if found.start() >= end:
                break
            if found.end() > end:  # cannot happen (see WINDOW); if it did, run on it all
                return pattern.sub(replace, text)
            out.append(text[done : found.start()])
            out.append(replace if replace.__class__ is str else replace(found))
            done = found.end()
    out.append(text[done:])
    return "".join(out)


RESCRUB_BELOW = 65536
"""A string under this length that one pass changed is scrubbed again, until a pass changes
nothing (at most `PASSES`): a redaction can change what the rules beside it see (a card
number followed by an IP address reads as one longer number until the address is
redacted), and scrubbing must be idempotent. Longer text gets one pass: a second one
would double the cost of a flood of secrets."""
PASSES = 4


def scrub_string(text: str, emails: bool, ips: bool) -> str:
    """`text` with every rule applied (emails and IPs only when asked), to a fixed point
    below `RESCRUB_BELOW` characters."""
    clean = _scrub_once(text, emails, ips)
    passes = 1
    while clean != text and len(clean) < RESCRUB_BELOW and passes < PASSES:
        text, clean = clean, _scrub_once(clean, emails, ips)
        passes += 1
    return clean


def _scrub_once(text: str, emails: bool, ips: bool) -> str:
    lower = text.lower()
    # ASCII digits by one C call; other text may hold other digits `\d` matches: count
    # them all then (the gates only need a lower bound, so too many is safe).
    digits = len(text) - len(text.translate(_NO_DIGITS)) if text.isascii() else len(text)
    # The gate literals are found before any rule runs: only the rules they open run.
    long = secrets.LongText(text) if len(text) >= secrets.LONG_TEXT else None
    picked: Iterable[int]
    words = True  # whether the text may hold a key word (a key=value pass is needed)
    if long is not None:
        picked, words = sorted(long.opened), long.words
    elif len(text) >= secrets.SET_TEXT:
        opened, words = secrets.opened_in(text.encode("utf-8", "surrogatepass"))
        picked = sorted(opened.union(rules.CALLED))
    else:
        called = rules.CALLED if len(text) >= rules.SHORTEST_CALLED else ()
        found, found_lower = rules.LITERALS.findall(text), rules.LOWER_LITERALS.findall(lower)
        picked = called
        if found or found_lower:
            opened = set(called)
            for literal in found:
                opened.update(rules.OPENED_BY[literal])
            for literal in found_lower:
                opened.update(rules.OPENED_BY_LOWER[literal])
            picked = sorted(opened)
    for index in picked:
        kind, gate, pattern, replace = rules.RULES[index]
        if gate.__class__ is patterns.Needs and not (  # `Needs.met`, inlined
            len(text) >= gate.length and digits >= gate.digits and gate.char in text
        ):
            continue
        if long is None or long.holds(kind):
            text = _sub(pattern, replace, text, long, kind)
    if "cookie" in lower:
        text = patterns.COOKIE_HEADER.sub(_cookie, text)
    if words and ("=" in text or ":" in text):
        text = secrets.redact_key_values(text)
    if emails and "@" in text and (long is None or long.holds("email")):
        text = _sub(patterns.EMAIL, "[REDACTED:email]", text, long, "email")
    if ips:
        v4 = digits > 3 and "." in text and (long is None or long.holds("ipv4"))
        v6 = ("::" in text or text.count(":") >= 7) and (long is None or long.holds("ipv6"))
        if v4 or v6:
            kinds = ("ipv4",) * v4 + ("ipv6",) * v6
            text = _sub(patterns.IPS[v4, v6], "[REDACTED:ip]", text, long, *kinds)
    return text


@dataclass(frozen=True, slots=True)
class ScrubPolicy:
    """Which optional kinds to redact on top of the secrets that are always redacted."""

    emails: bool = True
    ips: bool = False

    @classmethod
    def from_settings(cls, scrub: ScrubSettings) -> ScrubPolicy:
        """The policy ``SCRUB_EMAILS`` / ``SCRUB_IPS`` (the scrub section) ask for."""
        return cls(emails=scrub.scrub_emails, ips=scrub.scrub_ips)


DEFAULT_POLICY = ScrubPolicy()


def scrub_text(
    text: str,
    policy: ScrubPolicy = DEFAULT_POLICY,
    *,
    emails: bool | None = None,
    ips: bool | None = None,
) -> str:
    """`text` with every secret it recognises replaced by a ``[REDACTED:kind]`` token.

    Emails and IP addresses follow `policy` (the caller's ``SCRUB_EMAILS`` /
    ``SCRUB_IPS``; by default emails redacted, IPs kept) unless ``emails``/``ips`` say
    otherwise. Nothing here is configured globally: whoever sends text out passes the
    policy it was built with.
    """
    emails = policy.emails if emails is None else emails
    ips = policy.ips if ips is None else ips
    return _walker(emails, ips).text(text)


_CACHED_LENGTH = 256
"""Strings up to this long are remembered (names, paths, code lines); longer ones are not."""


@lru_cache(maxsize=16_384)
def _is_secret_short_key(key: str) -> bool:
    return bool(SECRET_KEY.match(key.strip()))


def is_secret_key(key: str) -> bool:
    """Whether a mapping key names a secret (``password``, ``X-Api-Key``, ``sessionid``...)."""
    if len(key) > _CACHED_LENGTH:
        return bool(SECRET_KEY.match(key.strip()))
    return _is_secret_short_key(key)


def _redaction_of(key: str) -> str:
    return f"[REDACTED:{re.sub(r'[^a-z0-9_]', '_', key.lower())[:40]}]"


_redacted_short_key = lru_cache(maxsize=4_096)(_redaction_of)


def _redacted_key(key: str) -> str:
    """The token that stands for a value under secret-named `key` (remembered when short:
    the same few names, ``password`` or ``session_token``, come in every event)."""
    return _redacted_short_key(key) if len(key) <= _CACHED_LENGTH else _redaction_of(key)


_CACHE_SIZE = 16_384
"""Short strings (and mapping keys) remembered, per walker: about 10 MB at most."""
_REMEMBERED = 2_048
_REMEMBERED_BYTES = 64 * 1024
"""Objects whose JSON is longer than this are walked every time, not remembered."""
REMEMBERED_BUDGET = 4 * 1024 * 1024
"""The JSON bytes of all remembered objects together, per walker; past it the least
recently used go first (so objects of every event, a module list, stay while frame
variables that never repeat pass through). What a walk keeps is a few times its JSON."""
_MEMO_ITEMS = 16


class _Walker:
    """Scrubs text and JSON-like values under one policy.

    Events repeat the same short strings (names, paths, code lines), lists of frames and
    big objects (an SDK's module list) over and over, so the walker remembers what it
    made of each: strings by value, lists of objects and objects of 16 keys or more by
    their JSON. A remembered result is handed out again, not copied, so results are
    read-only. The walk is the hot loop of intake, hence the exact type checks
    and the inlined cache lookups.
    """

    __slots__ = ("emails", "ips", "remembered", "remembered_bytes", "secret_keys", "seen")

    def __init__(self, emails: bool, ips: bool) -> None:
        self.emails = emails
        self.ips = ips
        self.seen: dict[str, str] = {}
        self.remembered: dict[bytes, Any] = {}
        self.remembered_bytes = 0
        self.secret_keys: dict[Any, tuple[Any, bool]] = {}

    def text(self, text: str) -> str:
        hit = self.seen.get(text)
        if hit is not None:
            return hit
        clean = scrub_string(text, self.emails, self.ips) if text else text
        if len(text) <= _CACHED_LENGTH:
            if len(self.seen) >= _CACHE_SIZE:
                self.seen.clear()
            self.seen[text] = clean
        return clean

    def value(self, value: Any) -> Any:
        kind = type(value)
        if kind is str:
            return self.text(value)
        if kind is dict:
            return self.mapping(value)
        if kind is list or kind is tuple:
            return self.sequence(value)
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return self.mapping(value)
        if isinstance(value, list | tuple):
            return self.sequence(value)
        return value

    def mapping(self, value: dict[Any, Any]) -> dict[Any, Any]:
        if len(value) >= _MEMO_ITEMS:
            return self._remembered(value, self.entries)  # type: ignore[no-any-return]
        return self.entries(value)

    def entries(self, value: dict[Any, Any]) -> dict[Any, Any]:
        seen = self.seen
        secret = self.secret_keys
        out: dict[Any, Any] = {}
        for raw_key, item in value.items():
            known = secret.get(raw_key)
            if known is None:
                known = self._key(raw_key)
            key, named = known
            if named and item not in (None, "", [], {}):
                out[key] = _redacted_key(key)
                continue
            kind = type(item)
            if kind is str:
                hit = seen.get(item)
                out[key] = hit if hit is not None else self.text(item)
            elif kind in _PLAIN:
                out[key] = item
            elif kind is dict:
                out[key] = (
                    {}
                    if not item
                    else self.entries(item)
                    if len(item) < _MEMO_ITEMS
                    else self._remembered(item, self.entries)
                )
            elif kind is list:
                out[key] = self.sequence(item) if item else []
            else:
                out[key] = self.value(item)
        return out

    def _key(self, key: Any) -> tuple[Any, bool]:
        """A mapping key scrubbed like text, and whether it names a secret."""
        if not isinstance(key, str):
            return key, False
        known = (self.text(key), is_secret_key(key))
        if len(key) <= _CACHED_LENGTH:
            if len(self.secret_keys) >= _CACHE_SIZE:
                self.secret_keys.clear()
            self.secret_keys[key] = known
        return known

    def sequence(self, value: list[Any] | tuple[Any, ...]) -> list[Any]:
        if len(value) < 2 or type(value[0]) is not dict:
            return self.items(value)
        return self._remembered(value, self.items)  # type: ignore[no-any-return]

    def _remembered(self, value: Any, walk: Callable[[Any], Any]) -> Any:
        """`walk(value)`, remembered by the value's JSON (one C call to compute)."""
        try:
            key = orjson.dumps(value)
        except TypeError:  # not JSON (a set, an object): walk it
            return walk(value)
        if len(key) > _REMEMBERED_BYTES:
            return walk(value)
        memo = self.remembered
        hit = memo.pop(key, None)  # put back last: least recently used first out
        if hit is None:
            hit = walk(value)
            self.remembered_bytes += len(key)
            while memo and (len(memo) >= _REMEMBERED or self.remembered_bytes > REMEMBERED_BUDGET):
                self.remembered_bytes -= len(oldest := next(iter(memo)))
                del memo[oldest]
        memo[key] = hit
        return hit

    def items(self, value: list[Any] | tuple[Any, ...]) -> list[Any]:
        seen = self.seen
        out: list[Any] = []
        for item in value:
            kind = type(item)
            if kind is str:
                hit = seen.get(item)
                out.append(hit if hit is not None else self.text(item))
            elif kind is dict:
                out.append(self.entries(item) if len(item) < _MEMO_ITEMS else self.mapping(item))
            elif kind in _PLAIN:
                out.append(item)
            else:
                out.append(self.value(item))
        return out


_PLAIN = frozenset({int, float, bool, type(None)})
_WALKERS = {(e, i): _Walker(e, i) for e in (False, True) for i in (False, True)}


def _walker(emails: bool, ips: bool) -> _Walker:
    return _WALKERS[bool(emails), bool(ips)]


def memo_footprint(policy: ScrubPolicy = DEFAULT_POLICY) -> dict[str, int]:
    """How much `policy`'s scrub memos hold now: strings and keys remembered, objects
    remembered and their JSON bytes (each bounded; see `_Walker`)."""
    walker = _walker(policy.emails, policy.ips)
    return {
        "strings": len(walker.seen),
        "keys": len(walker.secret_keys),
        "objects": len(walker.remembered),
        "object_bytes": walker.remembered_bytes,
    }


def scrub_value(value: Any, policy: ScrubPolicy) -> Any:
    """Any JSON-like value with secrets redacted; values under secret-named keys replaced."""
    return _walker(policy.emails, policy.ips).value(value)


_IDENTITY = ("source", "source_event_id", "received_at", "occurred_at")


def scrub_payload(event: ErrorEvent, *, emails: bool = False, ips: bool = False) -> dict[str, Any]:
    """`event` as data with secrets redacted from every text field, ``raw`` included:
    what the inbox stores.

    The typed fields are converted to JSON types (`payload_data`); ``contexts`` and
    ``raw`` are taken as they are, since sources fill them from JSON (converting them cost
    more than all the rest). Callers that need JSON must check: `json_ready_payload` does.
    """
    data = payload_data(event)  # shares the event's containers: the walk copies
    # Identity fields are ours, not the user's text: scrubbing a digit run inside an event
    # id would merge distinct events under one dedupe key and drop them.
    identity = {key: data.pop(key) for key in _IDENTITY}
    clean: dict[str, Any] = scrub_value(data, ScrubPolicy(emails=emails, ips=ips))
    clean.update(identity)
    return clean


def json_ready_payload(event: ErrorEvent) -> dict[str, Any]:
    """`scrub_payload` with ``contexts`` and ``raw`` converted to JSON types as well."""
    return scrub_payload(ErrorEvent.model_validate(event.model_dump(mode="json")))


def scrub_event(event: ErrorEvent, *, emails: bool = False, ips: bool = False) -> ErrorEvent:
    """A copy of `event` with secrets redacted from every text field, ``raw`` included."""
    return ErrorEvent.model_validate(scrub_payload(event, emails=emails, ips=ips))
