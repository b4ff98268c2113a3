"""Grouping: which occurrences are the same problem, under a project's own rules.

`compute_fingerprint` is pure and versioned (`FINGERPRINT_VERSION`, stored with each group).
Precedence follows Sentry:

1. a matching project rule (``FINGERPRINT_RULES``), else the source's own fingerprint
   (Sentry's ``fingerprint``); ``{{ default }}`` in either stands for 2-4;
2. the in-app stack: per exception of the chain its type and, per in-app frame, the module
   (or the normalised file name), the function and the source line when the source sent
   one — never line numbers; recursion repeats dropped;
3. with no in-app frame anywhere, the same over all frames;
4. without frames, exception type + parameterized value;
5. without exceptions, the parameterized message (`parameterize.template`).

`Fingerprint.hashes` holds, most specific first, the primary hash and the all-frames hash,
so a later change in in-app detection finds the group through the second one.
`Fingerprint.legacy` holds the hashes earlier versions computed: looked up, never claimed
by new groups (a legacy hash is coarser in places and would merge what this version splits).
Version 3 changed only the message template (`parameterize.template`); version 2's hashes
are the same computation under its frozen template (`template_v2`).

Project rules come first: ``FINGERPRINT_RULES`` (Sentry's fingerprint rules: shell globs
on ``type``/``value`` of any exception, ``message``, ``module``/``path``/``function`` of any
frame, ``level`` and ``tags.<name>``, all of which must match; first rule wins) and
``IN_APP_INCLUDE`` / ``IN_APP_EXCLUDE`` (prefixes overriding the runtime's default in
`understanding.inapp`; exclude wins). docs/configuration.md gives an example.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from fnmatch import translate
from functools import lru_cache
from pathlib import Path
from typing import Any

from autotriage.config_sections import AnalysisSettings
from autotriage.errors import RulesInvalid
from autotriage.models import ErrorEvent, ExceptionInfo, Frame
from autotriage.understanding.parameterize import template
from autotriage.understanding.template_v2 import template_v2

Render = Callable[[str], str]

FINGERPRINT_VERSION = 3
DEFAULT = "{{ default }}"
_KEYS = {"type", "value", "message", "module", "path", "function", "level"}
_ALIASES = {"error.type": "type", "error.value": "value", "logger": "tags.logger"}
_V1_VARIABLE = re.compile(r"0x[0-9a-fA-F]+|\b[0-9a-fA-F]{8,}\b|\d+")
_VARIABLE_NAME = re.compile(r"^\{\{\s*([\w.]+)\s*\}\}$")
# Parts of a function name that change between builds: lambda$main$0, $$Lambda$17/0x..., _block_3.
_FUNCTION_NOISE = re.compile(r"\$\$Lambda\$?\d*(?:/0x[0-9a-f]+)?|0x[0-9a-fA-F]+|\d+")
_PATH_NOISE = re.compile(r"[?#].*$")
# A path part holding a digit is a build hash or version: main.8f3a2c1b.js, python3.11.
_PATH_VARIABLE = re.compile(r"[0-9A-Za-z]*\d[0-9A-Za-z]*")
_NO_SOURCE = frozenset({"<anonymous>", "[native code]", "native code", "native", "eval code"})
_ANONYMOUS = {"", "?", "<anonymous>", "anonymous", "<lambda>", "{closure}"}


# --- fingerprint rules


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
    match, names = raw.get("match"), raw.get("fingerprint")
    if not isinstance(match, dict) or not match:
        raise RulesInvalid(f"{where}: 'match' must be a non-empty object")
    if not isinstance(names, list) or not names or not all(isinstance(x, str) and x for x in names):
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
    return FingerprintRule(tuple(matchers), tuple(names))


@lru_cache(maxsize=16)
def load_rules(config: str | None) -> tuple[FingerprintRule, ...]:
    """Rules from a JSON list or the path of a JSON file; empty when `config` is blank.

    Raises `RulesInvalid` naming the bad rule, so a bad setting fails at start-up.
    """
    text = (config or "").strip()
    if not text:
        return ()
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


# --- in-app prefixes


@dataclass(frozen=True, slots=True)
class InAppRules:
    """A project's own in-app prefixes; exclude wins over include, both over defaults."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    def decide(self, frame: Frame) -> bool | None:
        """False/True when an exclude/include prefix matches the frame, else None."""
        texts = [t for t in (frame.module, frame.abs_path, frame.filename) if t]
        for verdict, prefixes in ((False, self.exclude), (True, self.include)):
            for prefix in prefixes:
                if any(t.startswith(prefix) or (prefix[:1] == "/" and prefix in t) for t in texts):
                    return verdict
        return None


def apply_in_app(event: ErrorEvent, rules: InAppRules) -> ErrorEvent:
    """`event` with configured prefixes overriding ``in_app`` where they match."""
    if not (rules.include or rules.exclude) or not event.exceptions:
        return event

    def decided(frame: Frame) -> Frame:
        verdict = rules.decide(frame)
        return frame if verdict is None else frame.model_copy(update={"in_app": verdict})

    exceptions = [
        exc.model_copy(update={"frames": [decided(f) for f in exc.frames]})
        for exc in event.exceptions
    ]
    return event.model_copy(update={"exceptions": exceptions})


# --- hashes


@dataclass(frozen=True, slots=True)
class GroupingConfig:
    """A project's grouping settings: fingerprint rules and in-app prefixes."""

    rules: tuple[FingerprintRule, ...] = ()
    in_app: InAppRules = field(default_factory=InAppRules)


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """The hashes of one event, most specific first; `primary` names a new group."""

    primary: str
    hashes: tuple[str, ...]
    version: int = FINGERPRINT_VERSION
    legacy: tuple[str, ...] = ()
    """Hashes of earlier versions: to look groups up by, not to claim."""
    variant: str = "message"
    """What the primary hash was made of: rule, hint, app, system, exception or message."""

    @property
    def lookup(self) -> tuple[str, ...]:
        """Every hash to find an existing group by: current ones first, then legacy ones."""
        return (*self.hashes, *(h for h in self.legacy if h not in self.hashes))


def grouping_config(settings: AnalysisSettings) -> GroupingConfig:
    """The grouping configuration of the ``analysis`` section (rules parsed once, cached)."""
    return GroupingConfig(
        rules=load_rules(settings.fingerprint_rules),
        in_app=InAppRules(settings.in_app_include, settings.in_app_exclude),
    )


def _digest(parts: Sequence[str]) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def _filename(frame: Frame) -> str:
    path = _PATH_NOISE.sub("", (frame.filename or frame.abs_path or "").replace("\\", "/"))
    for marker in ("site-packages/", "dist-packages/", "node_modules/", "/pkg/mod/", "/gems/"):
        if marker in path:
            return _PATH_VARIABLE.sub("<n>", path.rsplit(marker, 1)[1].lower())
    # Deploy roots differ (/srv/app/releases/2024..., /var/task); the last two parts do not.
    tail = "/".join(path.rsplit("/", 2)[-2:])
    return _PATH_VARIABLE.sub("<n>", tail.lower())


def _function(name: str | None) -> str:
    if not name or name in _ANONYMOUS:
        return ""
    return _FUNCTION_NOISE.sub("", name)


def frame_key(frame: Frame) -> str:
    """What one frame contributes: module or file, function, and the source line if sent."""
    where = frame.module.strip() if frame.module else _filename(frame)
    where = _FUNCTION_NOISE.sub("", where) if frame.module else where
    parts = [where, _function(frame.function)]
    if frame.context_line and frame.context_line.strip():
        parts.append(" ".join(frame.context_line.split())[:200])
    return "|".join(parts)


def _low_quality(frame: Frame) -> bool:
    # JavaScript frames one browser prints and another does not (Safari's "[native code]",
    # V8's "<anonymous>" built-ins, "eval"): counted, they would split a group by browser.
    where = frame.filename or frame.abs_path or ""
    return frame.function in ("eval", "eval code") or where in _NO_SOURCE


def _kept(frames: Sequence[Frame]) -> list[int]:
    # Indexes of the frames that count: a recursion repeats one frame, counted once, and
    # frames without a real source count only when no frame has one.
    kept: list[int] = []
    last = None
    sourced = [i for i, f in enumerate(frames) if not _low_quality(f)]
    for i in sourced or range(len(frames)):
        key = frame_key(frames[i])
        if key != last:
            kept.append(i)
            last = key
    return kept


def _hashed(frames: Sequence[Frame], app: bool) -> list[int]:
    # The frames of one exception a hash is made of: its in-app ones (`app`) or all.
    chosen = [i for i, f in enumerate(frames) if f.in_app or not app]
    return [chosen[j] for j in _kept([frames[i] for i in chosen])]


def contributing_frames(
    event: ErrorEvent, config: GroupingConfig | None = None
) -> tuple[str, list[list[int]]]:
    """The default variant's name and, per exception (cause first), the indexes of the
    frames its hash is made of: the in-app ones when any frame is in-app, else all."""
    event = apply_in_app(event, (config or GroupingConfig()).in_app)
    variant = default_parts(event)[0]
    return variant, [_hashed(exc.frames, variant == "app") for exc in event.exceptions]


def _exception_parts(exc: ExceptionInfo, app: bool, render: Render) -> list[str]:
    stack = [frame_key(exc.frames[i]) for i in _hashed(exc.frames, app)]
    return [f"type:{exc.type}", *(stack or [f"value:{render(exc.value)}"])]


def default_parts(event: ErrorEvent, render: Render = template) -> tuple[str, list[str], list[str]]:
    """The default variant's name, its components, and the all-frames components.

    `render` turns a message into its template (version 2's for legacy hashes).
    """
    exceptions = event.exceptions
    if not exceptions:
        parts = [f"message:{render(event.message)}"]
        return "message", parts, parts
    system = [p for exc in exceptions for p in _exception_parts(exc, False, render)]
    if any(f.in_app for exc in exceptions for f in exc.frames):
        return "app", [p for exc in exceptions for p in _exception_parts(exc, True, render)], system
    has_frames = any(exc.frames for exc in exceptions)
    return ("system" if has_frames else "exception"), system, system


def _variable(name: str, event: ErrorEvent, render: Render) -> str:
    exc = event.primary_exception
    if name in ("type", "error.type"):
        return exc.type if exc else ""
    if name in ("value", "error.value"):
        return render(exc.value) if exc else ""
    if name == "message":
        return render(event.message)
    if name == "level":
        return event.level
    if name.startswith("tags."):
        return event.tags.get(name[5:], "")
    frame = exc.crashing_frame if exc else None
    if name == "function":
        return _function(frame.function) if frame else ""
    if name == "module":
        return (frame.module or _filename(frame)) if frame else ""
    return f"{{{{ {name} }}}}"  # unknown variables stay literal, as Sentry leaves them


def _explicit(values: Sequence[str], event: ErrorEvent, default: str, render: Render) -> str:
    parts = []
    for value in values:
        variable = _VARIABLE_NAME.match(value.strip())
        if variable is None:
            parts.append(f"literal:{value}")
        elif variable.group(1) == "default":
            parts.append(f"default:{default}")
        else:
            parts.append(f"var:{_variable(variable.group(1), event, render)}")
    return _digest(["explicit", *parts])


def legacy_hashes(event: ErrorEvent) -> tuple[str, ...]:
    """The hash version 1 computed, so groups made by it keep their events."""
    parts: list[str] = []
    for exc in event.exceptions:
        parts.append(exc.type)
        frames = [f for f in exc.frames if f.in_app] or exc.frames
        parts.extend(f"{f.module or f.filename}:{f.function}" for f in frames)
        if not frames:
            parts.append(_V1_VARIABLE.sub("<*>", exc.value))
    if not parts:
        parts.append(_V1_VARIABLE.sub("<*>", event.message))
    return (_digest(parts),)


def _version_hashes(
    event: ErrorEvent, explicit: Sequence[str], version: int, render: Render
) -> tuple[str, list[str]]:
    """The default variant's name and the hashes `version` gives `event` (made of the
    `explicit` fingerprint, when there is one)."""
    variant, parts, system_parts = default_parts(event, render)
    primary = _digest([f"v{version}", variant, *parts])
    system = _digest([f"v{version}", "system", *system_parts])
    if not explicit:
        return variant, [primary, system]
    hashed = [_explicit(explicit, event, primary, render)]
    uses_default = any(_VARIABLE_NAME.match(v.strip()) and "default" in v for v in explicit)
    if uses_default and system != primary:
        hashed.append(_explicit(explicit, event, system, render))
    return variant, hashed


def compute_fingerprint(event: ErrorEvent, config: GroupingConfig | None = None) -> Fingerprint:
    """The grouping hashes of `event`, under a project's `config` (rules and in-app prefixes)."""
    config = config or GroupingConfig()
    legacy = legacy_hashes(event)
    event = apply_in_app(event, config.in_app)
    rule = first_match(config.rules, event)
    explicit: Sequence[str] = (rule.fingerprint if rule else event.fingerprint_hint) or ()
    if not explicit or [v.strip() for v in explicit] == [DEFAULT]:
        explicit = ()
    variant, current = _version_hashes(event, explicit, FINGERPRINT_VERSION, template)
    _, v2 = _version_hashes(event, explicit, 2, template_v2)
    hashes = tuple(dict.fromkeys(current))
    return Fingerprint(
        primary=hashes[0],
        hashes=hashes,
        legacy=tuple(dict.fromkeys(h for h in (*v2, *legacy) if h not in hashes)),
        variant=("rule" if rule else "hint") if explicit else variant,
    )
