"""Per-key and per-address rate limits on the ingest endpoints, per fixed minute.

``INGEST_EVENTS_PER_MINUTE`` counts the events each ingest key sends;
``INGEST_REQUESTS_PER_MINUTE_PER_IP`` counts the requests each client address makes,
before its key is even looked at (the address is the peer's; uvicorn takes it from
``X-Forwarded-For`` only when the peer is in ``FORWARDED_ALLOW_IPS``). Windows are
wall-clock minutes, so every replica agrees on which one it is.

On PostgreSQL the counters live in ``rate_windows`` (`autotriage.store.rate_windows`),
so the limits hold for all replicas together; on SQLite (one server) they are counted in
memory, for the current minute only and for at most `MAX_SUBJECTS` subjects.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from starlette.concurrency import run_in_threadpool

from autotriage.errors import Overloaded
from autotriage.store import Store, rate_windows

Clock = Callable[[], float]
WINDOW_SECONDS = 60
MAX_SUBJECTS = 100_000
"""In-memory counters kept at most; past it the minute starts over (memory stays bounded)."""


class Windows(Protocol):
    """Fixed-window counters: `take` says whether `cost` still fits in `limit`."""

    async def take(self, scope: str, subject: str, window: int, cost: int, limit: int) -> bool:
        """Count `cost` against `subject` in `window` if it fits; whether it did."""
        ...


class LocalWindows:
    """Counters in this process's memory (one server: SQLite)."""

    def __init__(self) -> None:
        self.window = -1
        self.used: dict[tuple[str, str], int] = {}

    async def take(self, scope: str, subject: str, window: int, cost: int, limit: int) -> bool:
        """Count `cost` against `subject` in `window` if it fits; whether it did."""
        if window != self.window or len(self.used) >= MAX_SUBJECTS:
            self.window, self.used = window, {}
        used = self.used.get((scope, subject), 0)
        if used + cost > limit:
            return False
        self.used[(scope, subject)] = used + cost
        return True


class SharedWindows:
    """Counters in the database, shared by every replica on it (PostgreSQL)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.window = -1

    def _take(self, scope: str, subject: str, window: int, cost: int, limit: int) -> bool:
        with self.store.transaction() as session:
            if window != self.window:
                self.window = window
                rate_windows.forget_before(session, window - WINDOW_SECONDS)
            return rate_windows.take(session, scope, subject, window, cost, limit)

    async def take(self, scope: str, subject: str, window: int, cost: int, limit: int) -> bool:
        """Count `cost` against `subject` in `window` if it fits; whether it did."""
        return await run_in_threadpool(self._take, scope, subject, window, cost, limit)


def windows_for(store: Store) -> Windows:
    """Shared counters on PostgreSQL, in-memory ones on SQLite."""
    return SharedWindows(store) if store.dialect == "postgresql" else LocalWindows()


class RateLimits:
    """The per-key event quota and the per-address request limit (0 turns one off)."""

    def __init__(
        self,
        windows: Windows,
        *,
        events_per_key: int,
        requests_per_ip: int,
        clock: Clock = time.time,
    ) -> None:
        self.windows = windows
        self.events_per_key = events_per_key
        self.requests_per_ip = requests_per_ip
        self.clock = clock

    async def _take(self, scope: str, subject: str, cost: int, limit: int) -> int | None:
        """None when `cost` fits; else the seconds until the window turns."""
        now = self.clock()
        window = int(now // WINDOW_SECONDS) * WINDOW_SECONDS
        if await self.windows.take(scope, subject, window, cost, limit):
            return None
        return max(1, int(window + WINDOW_SECONDS - now))

    async def charge_key(self, key_id: int, prefix: str, events: int) -> None:
        """Count `events` against the key's quota, or raise `Overloaded` (429, scope key)."""
        if self.events_per_key <= 0 or events <= 0:
            return
        retry = await self._take("key", str(key_id), events, self.events_per_key)
        if retry is not None:
            raise Overloaded(
                f"key {prefix} is over its quota of {self.events_per_key} events a minute",
                retry,
                429,
                scope="key",
                reason_code="key_quota",
            )

    async def charge_address(self, address: str | None) -> None:
        """Count one request from `address`, or raise `Overloaded` (429)."""
        if self.requests_per_ip <= 0 or not address:
            return
        retry = await self._take("ip", address, 1, self.requests_per_ip)
        if retry is not None:
            raise Overloaded(
                f"this address is over {self.requests_per_ip} ingest requests a minute",
                retry,
                429,
                scope="organization",
                reason_code="ip_rate",
            )
