"""A project's grouping rules: fingerprint rules, as Sentry's let users write them, and
in-app prefixes.

Configured with ``FINGERPRINT_RULES``: a JSON list, or the path of a file holding one.
Each rule has a ``match`` object and a ``fingerprint`` list::

    [{"match": {"type": "ConnectionError", "path": "**/db/*.py"},
      "fingerprint": ["database-unreachable"]},
     {"match": {"message": "*timed out*", "tags.service": "billing"},
      "fingerprint": ["{{ default }}", "billing-timeouts"]}]

Matchers take shell globs (``*``, ``?``, ``[...]``; ``**`` spans ``/``) and all must match:
``type`` (any exception's type), ``value`` (any exception's value), ``message``,
``module``, ``path``, ``function`` (any frame's), ``level``, ``tags.<name>``. The first
matching rule wins. ``{{ default }}`` in a fingerprint stands for the default grouping.

In-app prefixes (`InAppRules`, a short form of Sentry's ``+app``/``-app`` stack trace
rules): ``IN_APP_INCLUDE`` / ``IN_APP_EXCLUDE`` list a project's own include/exclude
prefixes, overriding the runtime's default (`autotriage.understanding.inapp`) before the
event is fingerprinted; a prefix matches a frame's module, or the start of its path, or a
path component sequence inside it (``/vendored/``). Exclude wins.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fnmatch import translate
from functools import lru_cache
from pathlib import Path
from typing import Any

from autotriage.errors import RulesInvalid
from autotriage.models import ErrorEvent, Frame

_KEYS = {"type", "value", "message", "module", "path", "function", "level"}
_ALIASES = {"error.type": "type", "error.value": "value", "logger": "tags.logger"}


@dataclass(frozen=True, slots=True)
class FingerprintRule:
    """One rule: every matcher must match for `fingerprint` to apply."""

    matchers: tuple[tuple[str, re.Pattern[str]], ...]
    fingerprint: tuple[str, ...]

    def matches(self, event: ErrorEvent) -> bool:
        """Whether `event` satisfies every matcher."""
        return all(
            any(pattern.match(text) for text in _values(event, key))
            for key, pattern in self.matchers
        )


def _glob(pattern: str) -> re.Pattern[str]:
    # fnmatch's "*" already crosses "/"; "**" is accepted as the same for readability.
    return re.compile(translate(pattern.replace("**", "*")), re.DOTALL)


def _values(event: ErrorEvent, key: str) -> Iterable[str]:
    if key == "type":
        return [e.type for e in event.exceptions]
    if key == "value":
        return [e.value for e in event.exceptions]
    if key == "message":
        return [event.message, *(e.value for e in event.exceptions)]
    if key == "level":
        return [event.level]
    if key.startswith("tags."):
        tag = event.tags.get(key[5:])
        return [tag] if tag is not None else []
    frames = [f for e in event.exceptions for f in e.frames]
    if key == "module":
        return [f.module for f in frames if f.module]
    if key == "function":
        return [f.function for f in frames if f.function]
    return [p for f in frames for p in (f.abs_path, f.filename) if p]


def _rule(index: int, raw: Any) -> FingerprintRule:
    where = f"rule {index + 1}"
    if not isinstance(raw, dict):
        raise RulesInvalid(f"{where}: must be an object with 'match' and 'fingerprint'")
    match, fingerprint = raw.get("match"), raw.get("fingerprint")
    if not isinstance(match, dict) or not match:
        raise RulesInvalid(f"{where}: 'match' must be a non-empty object")
    if (
        not isinstance(fingerprint, list)
        or not fingerprint
        or not all(isinstance(x, str) and x for x in fingerprint)
    ):
        raise RulesInvalid(f"{where}: 'fingerprint' must be a non-empty list of strings")
    matchers: list[tuple[str, re.Pattern[str]]] = []
    for key, pattern in match.items():
        name = str(_ALIASES.get(key, key))
        if name not in _KEYS and not name.startswith("tags."):
            known = ", ".join(sorted(_KEYS | {"tags.<name>"}))
            raise RulesInvalid(f"{where}: unknown matcher {key!r} (use {known})")
        if not isinstance(pattern, str):
            raise RulesInvalid(f"{where}: matcher {key!r} must be a string")
        matchers.append((name, _glob(pattern)))
    return FingerprintRule(tuple(matchers), tuple(fingerprint))


@lru_cache(maxsize=16)
def load_rules(config: str | None) -> tuple[FingerprintRule, ...]:
    """Rules from a JSON list or the path of a JSON file; empty when `config` is blank.

    Raises `RulesInvalid` naming the bad rule, so a bad setting fails at start-up.
    """
    if config is None or not config.strip():
        return ()
    text = config.strip()
    if not text.startswith("["):
        path = Path(text).expanduser()
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise RulesInvalid(f"cannot read rules file {path}: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise RulesInvalid(f"not valid JSON: {exc}") from None
    if not isinstance(data, list):
        raise RulesInvalid("must be a JSON list of rules")
    return tuple(_rule(i, raw) for i, raw in enumerate(data))


def first_match(rules: Iterable[FingerprintRule], event: ErrorEvent) -> FingerprintRule | None:
    """The first rule `event` matches, if any."""
    return next((rule for rule in rules if rule.matches(event)), None)


# --- in-app prefixes ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InAppRules:
    """A project's own in-app prefixes; exclude wins over include, both over defaults."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    @classmethod
    def parse(
        cls, include: Sequence[str] | str | None, exclude: Sequence[str] | str | None
    ) -> InAppRules:
        """Rules from lists or comma-separated strings; blanks ignored."""

        def split(value: Sequence[str] | str | None) -> tuple[str, ...]:
            items = value.split(",") if isinstance(value, str) else list(value or [])
            return tuple(item.strip() for item in items if item.strip())

        return cls(split(include), split(exclude))

    def decide(self, frame: Frame) -> bool | None:
        """True/False when a configured prefix matches the frame, else None."""
        if _matches(frame, self.exclude):
            return False
        if _matches(frame, self.include):
            return True
        return None


def _matches(frame: Frame, prefixes: tuple[str, ...]) -> bool:
    if not prefixes:
        return False
    texts = [t for t in (frame.module, frame.abs_path, frame.filename) if t]
    for prefix in prefixes:
        for text in texts:
            if text.startswith(prefix) or (prefix.startswith("/") and prefix in text):
                return True
    return False


def apply_in_app(event: ErrorEvent, rules: InAppRules) -> ErrorEvent:
    """`event` with configured prefixes overriding ``in_app`` where they match."""
    if not (rules.include or rules.exclude) or not event.exceptions:
        return event
    exceptions = []
    for exc in event.exceptions:
        frames = []
        for frame in exc.frames:
            decided = rules.decide(frame)
            frames.append(
                frame if decided is None else frame.model_copy(update={"in_app": decided})
            )
        exceptions.append(exc.model_copy(update={"frames": frames}))
    return event.model_copy(update={"exceptions": exceptions})
