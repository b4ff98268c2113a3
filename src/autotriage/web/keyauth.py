"""Ingest keys at the web edge, and the overload/quota guard for ingest endpoints.

`KeyRing` resolves a presented key to its record through a short-lived in-process cache
(``INGEST_KEY_CACHE_SECONDS``), so a busy DSN endpoint does not read the key table on
every request; a revoked key stops working within that many seconds.

`IngestGuard` refuses work before it is done: a server that is behind
(`autotriage.web.overload`), an address past its request limit or a key past its event
quota (`autotriage.web.ratelimit`), or more than ``INGEST_MAX_INFLIGHT`` ingest requests
in flight, is answered 429 with ``Retry-After`` and ``X-Sentry-Rate-Limits`` (which
Sentry SDKs honour).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from autotriage.bounded import BoundedCache
from autotriage.errors import Overloaded, SignatureInvalid
from autotriage.store import Store
from autotriage.store.ingest_keys import KeyInfo, find_active, hash_key
from autotriage.web.overload import LoadShedder
from autotriage.web.ratelimit import RateLimits

Clock = Callable[[], float]
KEYS_CACHED = 10_000


class KeyRing:
    """Resolve ingest keys, caching answers (also "no such key") for `ttl` seconds."""

    def __init__(
        self,
        store: Store,
        ttl: float,
        clock: Clock = time.monotonic,
        max_keys: int = KEYS_CACHED,
    ) -> None:
        self.store = store
        self.ttl = ttl
        self.clock = clock
        # A flood of made-up keys must not grow memory: at most `max_keys` answers kept.
        self._cache: BoundedCache[str, tuple[KeyInfo | None]] = BoundedCache(max_keys, ttl, clock)

    def _lookup(self, key: str) -> KeyInfo | None:
        with self.store.reading() as session:
            return find_active(session, key)

    async def resolve(self, key: str | None, project_id: int | None = None) -> KeyInfo:
        """The active key `key`, or `SignatureInvalid` (401) naming what is wrong."""
        if not key:
            raise SignatureInvalid("no ingest key: send a DSN key or an Authorization header")
        digest = hash_key(key)
        hit = self._cache.get(digest)
        if hit is not None:
            info = hit[0]
        else:
            info = await run_in_threadpool(self._lookup, key)
            self._cache.put(digest, (info,))
        if info is None:
            raise SignatureInvalid("unknown or revoked ingest key")
        if project_id is not None and info.project_id != project_id:
            raise SignatureInvalid(f"this key does not belong to project {project_id}")
        return info


class IngestGuard:
    """Admits ingest requests: load shedding, the address limit, the in-flight limit;
    then charges each key for the events it sent."""

    def __init__(self, max_inflight: int, limits: RateLimits, shedder: LoadShedder) -> None:
        self.max_inflight = max_inflight
        self.limits = limits
        self.shedder = shedder
        self.inflight = 0

    async def admit(self, address: str | None) -> None:
        """Take a slot, or raise `Overloaded` (429) saying which limit refused it."""
        await self.shedder.check()
        await self.limits.charge_address(address)
        self.enter()

    def enter(self) -> None:
        """Take an in-flight slot, or raise `Overloaded` when the server is saturated."""
        if self.inflight >= self.max_inflight:
            raise Overloaded(
                "too many requests in flight; retry shortly",
                1,
                429,
                scope="organization",
                reason_code="concurrency",
            )
        self.inflight += 1

    def leave(self) -> None:
        """Give the slot back."""
        self.inflight -= 1

    async def charge(self, key: KeyInfo, events: int) -> None:
        """Count `events` against `key`'s per-minute quota, or raise `Overloaded`."""
        await self.limits.charge_key(key.id, key.prefix, events)


def ingest_state(request: Request) -> tuple[KeyRing, IngestGuard]:
    """The app's key ring and guard (built once by `build_services`)."""
    from autotriage.web.state import services_of  # services.py imports this module

    services = services_of(request)
    return services.key_ring, services.guard


async def guarded(
    request: Request, handle: Callable[[KeyRing, IngestGuard], Awaitable[Response]]
) -> Response:
    """Run an ingest `handle` once `IngestGuard.admit` let it in, inside the in-flight
    limit. An `Overloaded` refusal from a limit, the key's quota or the handler is
    answered by the web edge's error table (429 with ``Retry-After`` and
    ``X-Sentry-Rate-Limits``)."""
    ring, guard = ingest_state(request)
    await guard.admit(request.client.host if request.client else None)
    request.state.admitted = True
    try:
        return await handle(ring, guard)
    finally:
        guard.leave()
