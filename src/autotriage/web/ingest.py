"""The ingest edge every ingestion route shares: the body, the key, the guard, the accept.

* **Bodies**: `read_body` caps the raw body (413 before reading past the limit);
  `inflate` undoes ``Content-Encoding`` (gzip, deflate, br, zstd) for what SDKs and
  exporters post, each decoder bounded at every step, so a decompression bomb never
  allocates more than the limit before it is refused (413).
* **Keys**: `KeyRing` resolves a presented ingest key through a short-lived in-process
  cache (``INGEST_KEY_CACHE_SECONDS``), so a busy DSN endpoint does not read the key
  table on every request; a revoked key stops working within that many seconds.
* **The guard**: `IngestGuard` refuses work before it is done: a server that is behind,
  an address past its request limit or a key past its event quota
  (`autotriage.web.security`), or more than ``INGEST_MAX_INFLIGHT`` ingest requests in
  flight, is answered 429 with ``Retry-After`` and ``X-Sentry-Rate-Limits`` (which Sentry
  SDKs honour).
* **Accept**: `verify` runs the source's verifier on the raw body; `accept` hands the
  events to intake and returns once they are durable.

`services_of` reads the typed lifespan state (`AppState`) every route gets its services from.
"""

from __future__ import annotations

import io
import time
import zlib
from collections.abc import Awaitable, Callable, Mapping, MutableMapping, Sequence
from typing import TYPE_CHECKING, TypedDict, cast

import brotli
import zstandard
from cachetools import TTLCache
from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from autotriage.config_sections import IngestSettings
from autotriage.errors import Overloaded, PayloadInvalid, PayloadTooLarge, SignatureInvalid
from autotriage.intake import Intake
from autotriage.models import ErrorEvent
from autotriage.store import Store
from autotriage.store.events import StoredDelivery, count_pending
from autotriage.store.ingest_keys import KeyInfo, find_active, hash_key
from autotriage.web.security import LoadShedder, RateLimits, windows_for

if TYPE_CHECKING:
    from autotriage.services import Services  # services.py builds this module's classes

Clock = Callable[[], float]
KEYS_CACHED = 10_000


class AppState(TypedDict):
    """What `create_app`'s lifespan yields; Starlette copies it into each request's
    ``request.state``."""

    services: Services


def services_of(request: Request) -> Services:
    """The running app's services (set by the lifespan)."""
    return cast("Services", request.state.services)


# --- bodies --------------------------------------------------------------------------


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"body inflates past the limit of {limit} bytes")


def _inflate_zlib(body: bytes, wbits: int, limit: int) -> bytes:
    decompressor = zlib.decompressobj(wbits)
    # max_length bounds every step, so a bomb never allocates more than the limit.
    first = decompressor.decompress(body, limit + 1)
    if decompressor.eof and len(first) <= limit:
        return first  # the whole stream in one step (an SDK's post): no copies
    out = bytearray(first)
    if len(out) > limit:
        raise _too_large(limit)
    data = decompressor.unconsumed_tail
    while data:
        out += decompressor.decompress(data, limit + 1 - len(out))
        if len(out) > limit:
            raise _too_large(limit)
        data = decompressor.unconsumed_tail
    out += decompressor.flush()
    if len(out) > limit:
        raise _too_large(limit)
    if not decompressor.eof:
        raise zlib.error("truncated stream")
    return bytes(out)


def _inflate_brotli(body: bytes, limit: int) -> bytes:
    decompressor = brotli.Decompressor()
    out = bytearray(decompressor.process(body, output_buffer_limit=limit + 1))
    while len(out) <= limit and not decompressor.is_finished():
        if decompressor.can_accept_more_data():
            break
        out += decompressor.process(b"", output_buffer_limit=limit + 1 - len(out))
    if len(out) > limit:
        raise _too_large(limit)
    if not decompressor.is_finished():
        raise brotli.error("truncated stream")
    return bytes(out)


def _inflate_zstd(body: bytes, limit: int) -> bytes:
    reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(body))
    out = reader.read(limit + 1)
    if len(out) > limit:
        raise _too_large(limit)
    return bytes(out)


def inflate(body: bytes, content_encoding: str | None, limit: int) -> bytes:
    """Undo ``Content-Encoding`` (gzip, deflate, br, zstd), refusing past `limit` bytes.

    Raises `PayloadTooLarge` for a bomb and `PayloadInvalid` for a broken stream or an
    encoding we do not speak.
    """
    encoding = (content_encoding or "identity").strip().lower()
    try:
        if encoding in ("", "identity"):
            result = body
        elif encoding in ("gzip", "x-gzip"):
            result = _inflate_zlib(body, 16 + zlib.MAX_WBITS, limit)
        elif encoding == "deflate":
            # RFC 9110 says zlib-wrapped; some clients send raw deflate, so accept both.
            try:
                result = _inflate_zlib(body, zlib.MAX_WBITS, limit)
            except zlib.error:
                result = _inflate_zlib(body, -zlib.MAX_WBITS, limit)
        elif encoding == "br":
            result = _inflate_brotli(body, limit)
        elif encoding == "zstd":
            result = _inflate_zstd(body, limit)
        else:
            raise PayloadInvalid(f"Content-Encoding {encoding!r} is not supported")
    except (zlib.error, brotli.error, zstandard.ZstdError) as exc:
        raise PayloadInvalid(f"body is not valid {encoding}: {exc}") from None
    if len(result) > limit:
        raise _too_large(limit)
    return result


async def read_body(request: Request, limit: int | None = None) -> bytes:
    """The raw body, refusing (413) anything past `limit` bytes (by default the webhook
    limit, ``MAX_BODY_BYTES``) before reading it all."""
    cap = limit if limit is not None else services_of(request).limits.webhook
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > cap:
        raise PayloadTooLarge(f"body is {declared} bytes; the limit is {cap}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise PayloadTooLarge(f"body exceeds the limit of {cap} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_inflated(request: Request) -> bytes:
    """The body of an SDK or exporter post, decoded per ``Content-Encoding`` within the
    ingest limits (413 for a body or an inflated body past them)."""
    limits = services_of(request).limits
    raw = await read_body(request, limits.ingest)
    return inflate(raw, request.headers.get("content-encoding"), limits.inflated)


def lower_headers(request: Request) -> dict[str, str]:
    """Request headers with lower-cased names (the last of a repeated one), read off the
    ASGI scope as Starlette's `Headers` decodes them, without building that object."""
    return {
        name.decode("latin-1").lower(): value.decode("latin-1")
        for name, value in request.scope["headers"]
    }


# --- keys and the guard ----------------------------------------------------------------


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
        # Only `resolve`, on the event loop's thread, touches it: no lock needed.
        self._cache: MutableMapping[str, tuple[KeyInfo | None]] = TTLCache(max_keys, ttl, clock)

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
            self._cache[digest] = (info,)
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


def ingest_guard(store: Store, ingest: IngestSettings, clock: Clock) -> IngestGuard:
    """The ingest guard: load shedding on the inbox backlog, the address and key limits,
    the in-flight limit."""

    def backlog() -> int:
        with store.reading() as session:
            return count_pending(session)

    shedder = LoadShedder(
        backlog,
        max_backlog=ingest.ingest_max_backlog,
        max_commit_seconds=ingest.ingest_max_commit_seconds,
        retry_after=ingest.ingest_shed_retry_seconds,
    )
    limits = RateLimits(
        windows_for(store),
        events_per_key=ingest.ingest_events_per_minute,
        requests_per_ip=ingest.ingest_requests_per_minute_per_ip,
        clock=clock,
    )
    return IngestGuard(ingest.ingest_max_inflight, limits, shedder)


def ingest_state(request: Request) -> tuple[KeyRing, IngestGuard]:
    """The app's key ring and guard (built once by `build_services`)."""
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


# --- accept --------------------------------------------------------------------------


def verify(
    request: Request,
    source: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    token_in_query: bool = False,
) -> None:
    """Run registered `source`'s verifier on the raw body (`SignatureInvalid` on failure).

    A ``token`` query parameter lands in proxy logs, so it is refused, except with
    `token_in_query` for a sender that can only be given a URL (Sentry's legacy plugin):
    there it is handed to the verifier as the ``X-Autotriage-Token`` header it reads.
    autotriage itself never logs a query string (no access log; errors log the path).
    """
    # Imported here: the registry imports the Sentry DSN endpoints, which import this module.
    from autotriage.sources.registry import REGISTRY

    check = REGISTRY[source].verify
    if check is None:
        raise LookupError(f"source {source!r} registers no verifier")
    token = request.query_params.get("token")
    if token is not None and not token_in_query:
        raise SignatureInvalid(
            "a secret in the query string is refused (it lands in proxy logs): "
            "send it as the X-Autotriage-Token header"
        )
    if token:
        headers = {**headers, "x-autotriage-token": token}
    check(body, headers, services_of(request).verifying())


async def accept(
    request: Request,
    source: str,
    events: Sequence[ErrorEvent],
    delivery_id: str | None = None,
    *,
    size: int | None = None,
) -> StoredDelivery:
    """Scrub and commit `events`; return once they are durable.

    A webhook delivery is shed here (429) while the server is behind; the DSN and OTLP
    routes were admitted before reading their bodies (`guarded`).
    `size` is the decoded body's length, when known: a large body is scrubbed off the
    event loop.
    """
    services = services_of(request)
    if not getattr(request.state, "admitted", False):
        await services.guard.shedder.check()
    intake: Intake = services.intake
    return await intake.accept_async(source, events, delivery_id=delivery_id, size=size)
