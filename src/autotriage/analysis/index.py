"""The file index: every path of a commit's tree, searchable by longest path suffix.

Paths are stored with their components reversed (``billing.py/services/app/``) in one
sorted list, so "which repository files end with these components" is a binary search
(O(log n) per suffix length) and the whole index is one list of strings: a 50,000-file
repository costs a few megabytes and answers in microseconds.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_MAX_CANDIDATES = 64
_END = "\U0010ffff"


@dataclass(frozen=True, slots=True)
class SuffixMatch:
    """The files sharing the longest component suffix with a query."""

    length: int
    """How many trailing components match (0: not even the file name)."""
    paths: tuple[str, ...]
    """Matching repository paths, at most `_MAX_CANDIDATES` of them."""
    total: int
    """How many repository paths match (may exceed ``len(paths)``)."""


def _reverse(components: Sequence[str]) -> str:
    return "/".join(reversed(components)) + "/"


class FileIndex:
    """The paths of one tree, for exact lookups and longest-suffix matches."""

    def __init__(self, paths: Iterable[str]) -> None:
        self._paths = frozenset(paths)
        self._keys = sorted(_reverse(p.split("/")) for p in self._paths)

    def __len__(self) -> int:
        return len(self._paths)

    def __contains__(self, path: object) -> bool:
        return path in self._paths

    def _range(self, reversed_components: Sequence[str], length: int) -> tuple[int, int]:
        prefix = "/".join(reversed_components[:length]) + "/"
        lo = bisect_left(self._keys, prefix)
        hi = bisect_left(self._keys, prefix + _END, lo)
        return lo, hi

    def longest_suffix(self, components: Sequence[str]) -> SuffixMatch:
        """Repository files ending with the most trailing `components` (a path, split)."""
        rev = [c for c in reversed(components) if c]
        if not rev:
            return SuffixMatch(0, (), 0)
        lo, hi = self._range(rev, 1)
        if lo == hi:
            return SuffixMatch(0, (), 0)
        # Matching is monotonic in the suffix length: binary search the longest that matches.
        best, best_range = 1, (lo, hi)
        low, high = 2, len(rev)
        while low <= high:
            mid = (low + high) // 2
            r_lo, r_hi = self._range(rev, mid)
            if r_lo < r_hi:
                best, best_range = mid, (r_lo, r_hi)
                low = mid + 1
            else:
                high = mid - 1
        lo, hi = best_range
        paths = tuple(
            "/".join(reversed(self._keys[i][:-1].split("/")))
            for i in range(lo, min(hi, lo + _MAX_CANDIDATES))
        )
        return SuffixMatch(best, paths, hi - lo)

    def with_suffix(self, components: Sequence[str]) -> list[str]:
        """Repository files whose path ends with all of `components` (at most 64)."""
        rev = [c for c in reversed(components) if c]
        lo, hi = self._range(rev, len(rev))
        return [
            "/".join(reversed(self._keys[i][:-1].split("/")))
            for i in range(lo, min(hi, lo + _MAX_CANDIDATES))
        ]
