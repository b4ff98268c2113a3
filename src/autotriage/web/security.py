"""Web-edge protections that do not depend on a route: the security headers of every
answer (`SecurityHeaders`), and the ingest endpoints' refusals by load: shedding while
the server is behind (`LoadShedder`) and rate limits (`RateLimits`). Who may reach the
operator pages is `autotriage.web.auth`.

**Load shedding** (`LoadShedder`). Two readings say the server is behind, each with its
bound (0 turns a reading off):

* the **backlog**: events accepted but not processed yet (``INGEST_MAX_BACKLOG``). It is
  read from the inbox at most once per `REFRESH_SECONDS`, one reading at a time, so a
  flood costs one count query a second, not one per request;
* the **commit latency**: how long the inbox's commits take (``INGEST_MAX_COMMIT_SECONDS``),
  as a moving average that intake feeds (`Intake.commit_took`). A reading older than the
  retry interval lapses: once everything is refused nothing is committed, so requests
  after the pause are let through as probes.

Past either bound, ingest answers 429 with ``Retry-After`` (``INGEST_SHED_RETRY_SECONDS``)
and ``X-Sentry-Rate-Limits`` (all categories, reason ``backlog`` or ``commit_latency``),
which Sentry SDKs honour by holding everything back for that long. Refusing happens
before the body is read; what was acknowledged before stays committed. The DSN and OTLP
routes ask `LoadShedder.check` themselves (`autotriage.web.ingest.guarded`); the webhook
routes (``POST /webhook/...``: GitHub, Slack, generic, SNS, Firehose, Sentry's hooks) are
guarded by `ShedWebhooks`, an ASGI middleware that asks it before the route runs, so a
refused delivery's body is never read.

**Rate limits** (`RateLimits`), per fixed minute. ``INGEST_EVENTS_PER_MINUTE`` counts the
events each ingest key sends; ``INGEST_REQUESTS_PER_MINUTE_PER_IP`` counts the requests
each client address makes, before its key is even looked at (the address is the peer's;
uvicorn takes it from ``X-Forwarded-For`` only when the peer is in
``FORWARDED_ALLOW_IPS``). Windows are wall-clock minutes, so every replica agrees on which
one it is. On PostgreSQL the counters live in ``rate_windows``
(`autotriage.store.rate_windows`), so the limits hold for all replicas together; on
SQLite (one server) they are counted in memory, for the current minute only and for at
most `MAX_SUBJECTS` subjects.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Protocol

from fastapi import Request
from sqlalchemy.exc import DBAPIError
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from autotriage.errors import Overloaded
from autotriage.store import Store, rate_windows
from autotriage.web.errors import error_response, overloaded_response

NOSNIFF = (b"x-content-type-options", b"nosniff")
HTML_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
"""Every HTML answer that brings no policy of its own (error pages, redirects' bodies)."""
DOCS_CSP = (
    "default-src 'none'; script-src 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src https://fonts.gstatic.com; img-src 'self' data: https://fastapi.tiangolo.com "
    "https://cdn.jsdelivr.net; connect-src 'self'; worker-src blob:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
"""``/docs`` and ``/redoc``: FastAPI's pages load Swagger UI and ReDoc from their CDN with
an inline start-up script; they show only the OpenAPI description, no stored data."""
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})
HTTP_VERSIONS = frozenset({"1.0", "1.1", "2"})
CLOSED_TRANSPORT = "the handler is closed"
"""How uvloop refuses a write to a transport that is closing (its RuntimeError's text)."""


class SecurityHeaders:
    """ASGI middleware: ``X-Content-Type-Options: nosniff`` on every answer, and a
    ``Content-Security-Policy`` on every HTML answer that does not carry one (the
    console's pages carry their own, `autotriage.web.console.headers`). Added last, so
    it sees each answer after every other middleware."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = (DOCS_CSP if scope["path"] in DOCS_PATHS else HTML_CSP).encode()
        gone = False

        async def send_with_headers(message: Message) -> None:
            nonlocal gone
            if gone:
                return
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower(): value for name, value in headers}
                if b"x-content-type-options" not in names:
                    headers.append(NOSNIFF)
                html = names.get(b"content-type", b"").lower().startswith(b"text/html")
                if html and b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", policy))
                message["headers"] = headers
            try:
                await send(message)
            except RuntimeError as exc:
                # uvloop refuses writes once a client half-closed, before uvicorn sees
                # the disconnect (then its `send` drops them): drop the answer the same
                # way, rather than logging a traceback any client can cause at will.
                if CLOSED_TRANSPORT not in str(exc):
                    raise
                gone = True

        if scope.get("http_version", "1.1") not in HTTP_VERSIONS:  # ASGI: absent is 1.1
            # httptools reads a request line without a version as HTTP/0.9, and uvicorn
            # would answer it: refuse it, as issue 16 asks.
            refusal = error_response(
                Request(scope), 400, "bad_request", "HTTP/0.9 is not served: send HTTP/1.0 or 1.1"
            )
            await refusal(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)


# --- refusals by load ----------------------------------------------------------------

log = logging.getLogger(__name__)
Clock = Callable[[], float]
REFRESH_SECONDS = 1.0
SMOOTHING = 0.2
"""Weight of the newest commit latency in the moving average."""
WINDOW_SECONDS = 60
MAX_SUBJECTS = 100_000
"""In-memory counters kept at most; past it the minute starts over (memory stays bounded)."""


class LoadShedder:
    """Says whether ingest must refuse new work now (`check`), from the two readings."""

    def __init__(
        self,
        read_backlog: Callable[[], int],
        *,
        max_backlog: int,
        max_commit_seconds: float,
        retry_after: int,
        clock: Clock = time.monotonic,
    ) -> None:
        self.read_backlog = read_backlog
        self.max_backlog = max_backlog
        self.max_commit_seconds = max_commit_seconds
        self.retry_after = retry_after
        self.clock = clock
        self.backlog = 0
        self.commit_seconds = 0.0
        self._backlog_at = float("-inf")
        self._commit_at = float("-inf")
        self._reading: asyncio.Task[None] | None = None

    def committed(self, seconds: float) -> None:
        """Record how long one accepted request waited for its commit."""
        now = self.clock()
        if now - self._commit_at > self.retry_after:
            self.commit_seconds = 0.0  # an old average says nothing about now
        # One slow commit (a big payload) moves the average a fifth of the way: only
        # commits that stay slow push it past the bound.
        self.commit_seconds += SMOOTHING * (seconds - self.commit_seconds)
        self._commit_at = now

    async def _refresh(self) -> None:
        try:
            self.backlog = await run_in_threadpool(self.read_backlog)
        except DBAPIError as exc:  # the store is down: intake answers that; keep the last reading
            log.warning("could not read the inbox backlog: %s", type(exc).__name__)
        finally:
            self._backlog_at = self.clock()
            self._reading = None

    async def check(self) -> None:
        """Raise `Overloaded` (429) while a reading is past its bound."""
        now = self.clock()
        if self.max_backlog > 0:
            if now - self._backlog_at >= REFRESH_SECONDS and self._reading is None:
                self._reading = asyncio.get_running_loop().create_task(self._refresh())
                if self._backlog_at == float("-inf"):
                    await asyncio.shield(self._reading)  # the first request waits for one
            if self.backlog >= self.max_backlog:
                raise self._refusal(
                    f"{self.backlog} events are waiting to be processed "
                    f"(INGEST_MAX_BACKLOG is {self.max_backlog})",
                    "backlog",
                )
        lapsed = now - self._commit_at > self.retry_after
        if 0 < self.max_commit_seconds < self.commit_seconds and not lapsed:
            raise self._refusal(
                f"commits take {self.commit_seconds:.1f}s "
                f"(INGEST_MAX_COMMIT_SECONDS is {self.max_commit_seconds:g})",
                "commit_latency",
            )

    def _refusal(self, why: str, reason_code: str) -> Overloaded:
        return Overloaded(
            f"server is behind, retry in {self.retry_after}s: {why}",
            self.retry_after,
            429,
            scope="organization",
            reason_code=reason_code,
        )


WEBHOOK_PREFIX = "/webhook/"


class ShedWebhooks:
    """ASGI middleware: a webhook delivery (``POST /webhook/...``) is refused (429 with
    ``Retry-After``) while `shedder` says the server is behind, before its body is read.
    A delivery let in is marked admitted, so intake does not ask again."""

    def __init__(self, app: ASGIApp, shedder: LoadShedder) -> None:
        self.app = app
        self.shedder = shedder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"].startswith(WEBHOOK_PREFIX)
        ):
            try:
                await self.shedder.check()
            except Overloaded as exc:
                await overloaded_response(Request(scope), exc)(scope, receive, send)
                return
            scope.setdefault("state", {})["admitted"] = True
        await self.app(scope, receive, send)


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
