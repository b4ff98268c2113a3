"""CPython's "Did you mean" rule, reimplemented: which name is close enough, and unique.

CPython (Python/suggestions.c) measures a Levenshtein distance over UTF-8 bytes where an
insertion, deletion or substitution costs 2 and a change of case only costs 1, after
trimming the common prefix and suffix. A candidate counts only when the distance is at most
``(len(name) + len(candidate) + 3) * 2 // 6`` -- no more than a third of the characters
involved changed -- and names longer than 40 bytes or lists of 750 or more candidates give
no suggestion at all. CPython keeps the first of equally close names; we refuse a tie,
because a fix must not depend on the order a dictionary happened to list names in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

MOVE_COST = 2
CASE_COST = 1
MAX_STRING_SIZE = 40
MAX_CANDIDATE_ITEMS = 750


def _substitution_cost(a: int, b: int) -> int:
    if a == b:
        return 0
    if (a & 31) == (b & 31) and _lower(a) == _lower(b):
        return CASE_COST
    return MOVE_COST


def _lower(c: int) -> int:
    return c + 32 if 65 <= c <= 90 else c


def distance(name: str, other: str, max_cost: int) -> int:
    """CPython's edit distance between `name` and `other`, or ``max_cost + 1`` past the cap."""
    a, b = name.encode(), other.encode()
    if a == b:
        return 0
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    a, b = a[start:], b[start:]
    end = 0
    while end < min(len(a), len(b)) and a[-1 - end] == b[-1 - end]:
        end += 1
    if end:
        a, b = a[:-end], b[:-end]
    if not a or not b:
        return (len(a) + len(b)) * MOVE_COST
    if len(a) > MAX_STRING_SIZE or len(b) > MAX_STRING_SIZE:
        return max_cost + 1
    if len(b) < len(a):
        a, b = b, a
    if (len(b) - len(a)) * MOVE_COST > max_cost:
        return max_cost + 1
    row = [(i + 1) * MOVE_COST for i in range(len(a))]
    result = 0
    for b_index, code in enumerate(b):
        diagonal = result = b_index * MOVE_COST
        minimum = None
        for index, char in enumerate(a):
            substitute = diagonal + _substitution_cost(code, char)
            diagonal = row[index]
            result = min(min(result, diagonal) + MOVE_COST, substitute)
            row[index] = result
            minimum = result if minimum is None else min(minimum, result)
        if minimum is not None and minimum > max_cost:
            return max_cost + 1
    return result


def max_distance(name: str, candidate: str) -> int:
    """The largest distance CPython still calls a typo of `name`."""
    return (len(name.encode()) + len(candidate.encode()) + 3) * MOVE_COST // 6


@dataclass(frozen=True, slots=True)
class Choice:
    """The outcome of looking for a close name: one name, a tie, or nothing."""

    name: str | None
    distance: int | None = None
    tied: tuple[str, ...] = ()
    refusal: str | None = None

    @property
    def reason(self) -> str:
        """Why this name (or why none), in words a PR body or a refusal can quote."""
        if self.refusal is not None:
            return self.refusal
        if self.name is not None:
            return f"{self.name!r} is the only name within CPython's edit-distance cap"
        if self.tied:
            names = ", ".join(repr(n) for n in self.tied)
            return f"names equally close, refusing to pick one: {names}"
        return "no name is close enough"


def closest(name: str, candidates: Iterable[str]) -> Choice:
    """The unique closest candidate to `name` by CPython's rule, else why there is none."""
    pool = sorted({c for c in candidates if c != name})
    if len(pool) >= MAX_CANDIDATE_ITEMS:
        return Choice(None)
    best: int | None = None
    winners: list[str] = []
    for candidate in pool:
        cap = max_distance(name, candidate)
        found = distance(name, candidate, cap)
        if found > cap:
            continue
        if best is None or found < best:
            best, winners = found, [candidate]
        elif found == best:
            winners.append(candidate)
    if len(winners) == 1:
        return Choice(winners[0], best)
    return Choice(None, best, tuple(winners))


def check_hint(name: str, hint: str | None, candidates: Iterable[str]) -> Choice:
    """Our own choice, taking the interpreter's ``Did you mean`` only when it agrees.

    The hint comes from error text anyone can send, so it is never trusted on its own: it
    must be a name that exists here and the unique closest by the same rule.
    """
    choice = closest(name, candidates)
    if hint is None or choice.name == hint:
        return choice
    ours = repr(choice.name) if choice.name else "no unique name"
    refusal = f"the interpreter suggests {hint!r} but the code gives {ours}; refusing"
    return Choice(None, choice.distance, choice.tied, refusal)
