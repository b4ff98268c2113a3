"""Grouping hashes: which occurrences are the same problem.

`compute_fingerprint` is pure and versioned; the version is stored with each group.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from autotriage.models import ErrorEvent

FINGERPRINT_VERSION = 1
_VARIABLE = re.compile(r"0x[0-9a-fA-F]+|\b[0-9a-fA-F]{8,}\b|\d+")


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """The hashes of one event, most specific first; `primary` names a new group."""

    primary: str
    hashes: tuple[str, ...]
    version: int = FINGERPRINT_VERSION


def _digest(parts: list[str]) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def compute_fingerprint(event: ErrorEvent) -> Fingerprint:
    """Hash the event's in-app stack, else its exception type and message template."""
    parts: list[str] = []
    for exc in event.exceptions:
        parts.append(exc.type)
        frames = [f for f in exc.frames if f.in_app] or exc.frames
        parts.extend(f"{f.module or f.filename}:{f.function}" for f in frames)
        if not frames:
            parts.append(_VARIABLE.sub("<*>", exc.value))
    if not parts:
        parts.append(_VARIABLE.sub("<*>", event.message))
    primary = _digest(parts)
    return Fingerprint(primary=primary, hashes=(primary,))


def message_key(message: str) -> str:
    """Draft."""
    from autotriage.understanding.parameterize import template
    return template(message)
