"""What a source module provides, and helpers they share."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from autotriage.errors import PayloadInvalid
from autotriage.models import ErrorEvent

Parser = Callable[[bytes, Mapping[str, str]], list[ErrorEvent]]


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """A source as the CLI's `replay` and the registry see it.

    `parse(body, headers)` is pure: no database, network, settings or wall clock.
    `sniff(body)` says whether a file looks like this source's payload (for ``--source auto``).
    """

    name: str
    parse: Parser
    sniff: Callable[[bytes], bool] | None = None


MAX_JSON_DEPTH = 64


def _depth(value: Any, limit: int) -> int:
    stack = [(value, 1)]
    deepest = 0
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return deepest


def load_json(body: bytes, *, what: str = "body") -> Any:
    """Decode a JSON body, or raise `PayloadInvalid` with the reason (never a traceback)."""
    try:
        value = json.loads(body)
    except RecursionError:
        raise PayloadInvalid(f"{what} is nested too deeply") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadInvalid(f"{what} is not valid JSON: {exc}") from None
    if _depth(value, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
        raise PayloadInvalid(f"{what} is nested deeper than {MAX_JSON_DEPTH} levels")
    return value


def require_object(value: Any, what: str = "body") -> dict[str, Any]:
    """`value` if it is a JSON object, else `PayloadInvalid`."""
    if not isinstance(value, dict):
        raise PayloadInvalid(f"{what} must be a JSON object")
    return value
