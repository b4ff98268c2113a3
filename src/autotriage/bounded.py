"""`BoundedCache`: the one shape for every in-process cache keyed by input.

A key can come from an attacker (a made-up ingest key, a certificate URL, a commit sha
named in an event), so every such cache holds at most `max_items` entries, dropping the
least recently used first, and optionally forgets an entry `ttl` seconds after it was
stored. Thread-safe: worker threads and the event loop's thread pool share them.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class BoundedCache(Generic[K, V]):
    """At most `max_items` entries, least recently used dropped first; each entry lives
    `ttl` seconds (None: until dropped), or until the expiry given to `put`."""

    def __init__(
        self,
        max_items: int,
        ttl: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_items < 1:
            raise ValueError("max_items must be at least 1")
        self.max_items = max_items
        self.ttl = ttl
        self.clock = clock
        self._items: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._items

    def get(self, key: K) -> V | None:
        """The live entry for `key`, or None (an expired one is dropped)."""
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            if found[0] <= self.clock():
                del self._items[key]
                return None
            self._items.move_to_end(key)
            return found[1]

    def put(self, key: K, value: V, expires: float | None = None) -> None:
        """Store `value`; it lives until `expires` (clock time) or for `ttl`, whichever is
        sooner; the least recently used entries go past `max_items`."""
        now = self.clock()
        until = now + self.ttl if self.ttl is not None else float("inf")
        if expires is not None:
            until = min(until, expires)
        with self._lock:
            self._items[key] = (until, value)
            self._items.move_to_end(key)
            while len(self._items) > self.max_items:
                self._items.popitem(last=False)

    def clear(self) -> None:
        """Drop every entry."""
        with self._lock:
            self._items.clear()
