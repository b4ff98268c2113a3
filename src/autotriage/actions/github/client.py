"""The GitHub client: githubkit behind one request gate that behaves as GitHub asks.

* Mutating requests go through one queue (a lock) at least `interval` seconds apart.
* ``x-ratelimit-remaining: 0`` pauses every request until ``x-ratelimit-reset``;
  a secondary limit (403/429 with ``retry-after``, or GitHub's "secondary rate limit"
  message) pauses the gate for ``retry-after`` (at least a minute without one). While
  paused, nothing is sent: a short pause is waited out, a long one becomes a retryable
  `ActionFailed` with `retry_after`, so the outbox tries again later.
* Reads are conditional (``If-None-Match`` with the last ETag); a 304 reuses the cached
  answer and does not count against the primary limit.
* Reads and idempotent edits (PATCH) are retried on 5xx and timeouts with backoff. A
  POST that times out or meets a 5xx may have landed, so it is never blindly repeated:
  the failure goes back to the handler, which reconciles before trying again.

All HTTP goes to ``GITHUB_API_URL``; authentication is a token or a GitHub App
installation (githubkit trades the app's JWT for an installation token and refreshes it
a minute before it expires).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from cachetools import LRUCache
from githubkit import AppInstallationAuthStrategy, GitHub, Response, TokenAuthStrategy
from githubkit.exception import RequestError, RequestFailed, RequestTimeout

from autotriage.actions.github.shared_gate import SharedGateState, SharedTurn
from autotriage.config_sections import ActionSettings, GitHubSettings
from autotriage.errors import ActionFailed, Ambiguous, ConfigError, GitHubError

log = logging.getLogger(__name__)

MAX_WAIT = 20.0  # longer pauses go back to the outbox, so a claimed action never outlives its lease
READ_ATTEMPTS = 3
ETAGS_KEPT = 1024
SECONDARY_DEFAULT = 60.0


@dataclass
class GateStats:
    """What the gate did (read by /health, tests and the storm benchmark)."""

    requests: int = 0
    mutating: int = 0
    pauses: int = 0
    not_modified: int = 0
    retries: int = 0


class RequestGate:
    """Spacing for mutations and a pause for rate limits: per process, and across replicas
    when given `shared` state (PostgreSQL)."""

    def __init__(
        self,
        interval: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        shared: SharedGateState | None = None,
    ) -> None:
        self.interval = interval
        self.shared = shared
        self.clock = clock
        self.sleep = sleep
        self.mutations = threading.Lock()
        self.state = threading.Lock()
        self.paused_until = 0.0
        self.last_mutation = -1e9
        self.stats = GateStats()

    def pause(self, seconds: float, why: str) -> None:
        """Send nothing for `seconds` from now."""
        with self.state:
            until = self.clock() + max(0.0, seconds)
            if until > self.paused_until:
                self.paused_until = until
                self.stats.pauses += 1
                log.warning(
                    "GitHub asked us to wait %.0fs (%s); pausing all requests", seconds, why
                )
        if self.shared is not None:
            self.shared.pause(seconds)

    def wait_turn(self) -> None:
        """Wait out a short pause; raise a retryable `ActionFailed` for a long one."""
        remaining = self.paused_until - self.clock()
        if self.shared is not None:
            remaining = max(remaining, self.shared.paused_for())
        if remaining <= 0:
            return
        if remaining > MAX_WAIT:
            raise ActionFailed(
                f"GitHub rate limit: paused for {remaining:.0f}s more",
                retryable=True,
                retry_after=remaining,
            )
        self.sleep(remaining)

    def space(self, shared_last: float | None = None) -> None:
        """Hold a mutation until `interval` has passed since the previous one (any replica's)."""
        gap = self.last_mutation + self.interval - self.clock()
        if shared_last is not None:
            gap = max(gap, shared_last + self.interval - time.time())
        if gap > 0:
            self.sleep(gap)

    @contextmanager
    def mutation_turn(self) -> Iterator[SharedTurn | None]:
        """This process's mutation lock, and the replicas' one when state is shared."""
        with self.mutations:
            if self.shared is None:
                yield None
                return
            with self.shared.mutation_turn() as turn:
                yield turn


def _secondary(response: httpx.Response) -> bool:
    if response.status_code not in (403, 429):
        return False
    if "retry-after" in response.headers:
        return True
    try:
        message = str(response.json().get("message", ""))
    except ValueError:
        return False
    return "secondary rate limit" in message.lower()


def _auth(settings: GitHubSettings) -> TokenAuthStrategy | AppInstallationAuthStrategy:
    if settings.github_app_id and settings.github_app_installation_id:
        key = settings.app_key()
        if key is None:
            raise ConfigError("GITHUB_APP_PRIVATE_KEY", "required with GITHUB_APP_ID")
        return AppInstallationAuthStrategy(
            settings.github_app_id, key, settings.github_app_installation_id
        )
    if settings.github_token is None:
        raise ConfigError("GITHUB_TOKEN", "set a token or a GitHub App")
    return TokenAuthStrategy(settings.github_token.get_secret_value())


class GitHubClient:
    """githubkit's sync API behind the gate; one per process, shared by the handlers."""

    def __init__(
        self,
        settings: GitHubSettings,
        *,
        database_url: str | None = None,
        gate: RequestGate | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        """A client for `settings` (the ``github`` section); on PostgreSQL at
        `database_url` the request gate is shared by every replica."""
        if not (settings.github_owner and settings.github_repo):
            raise ConfigError("GITHUB_REPO", "GITHUB_OWNER and GITHUB_REPO are required")
        self.owner: str = settings.github_owner
        self.repo: str = settings.github_repo
        shared = None
        if gate is None and database_url and database_url.startswith("postgresql"):
            shared = SharedGateState(database_url)
        self.gate = gate or RequestGate(settings.github_mutation_interval, shared=shared)
        self.gh: GitHub[Any] = GitHub(
            _auth(settings),
            base_url=settings.github_api_url.rstrip("/") + "/",
            user_agent="autotriage",
            timeout=settings.github_timeout,
            http_cache=False,  # our own ETag cache below; hishel's would hide 304s from us
            auto_retry=False,  # retries and rate limits are the gate's job
            transport=transport,
        )
        # Conditional GETs: (ETag, JSON) per read, the least recently used dropped first.
        self._etags: MutableMapping[str, tuple[str, Any]] = LRUCache(ETAGS_KEPT)
        self._etags_lock = threading.Lock()  # action threads share the client
        self.rate_limit_remaining: int | None = None  # as last seen, for the metrics

    @classmethod
    def from_settings(
        cls, settings: ActionSettings, *, transport: httpx.BaseTransport | None = None
    ) -> GitHubClient:
        """The client the action handlers' sections describe: the ``github`` section
        and the database URL."""
        return cls(settings.github, database_url=settings.database_url, transport=transport)

    def __repr__(self) -> str:
        return f"GitHubClient({self.owner}/{self.repo})"

    @property
    def rest(self) -> Any:
        """githubkit's REST namespace."""
        return self.gh.rest

    def read(
        self,
        call: Callable[..., Response[Any]],
        *args: Any,
        cache_key: str | None = None,
        **kw: Any,
    ) -> Any:
        """A GET: conditional when `cache_key` is given, retried on 5xx/timeouts; returns JSON."""
        for attempt in range(READ_ATTEMPTS):
            cached = None
            if cache_key is not None:
                with self._etags_lock:
                    cached = self._etags.get(cache_key)
            headers = {"If-None-Match": cached[0]} if cached else None
            try:
                response = self._send(call, args, kw, headers=headers, mutating=False)
            except _Transient as exc:
                self._backoff(attempt, exc)
                continue
            if response.status_code == 304 and cached is not None:
                self.gate.stats.not_modified += 1
                return cached[1]
            data = response.json() if response.content else None
            etag = response.headers.get("etag")
            if cache_key is not None and etag:
                with self._etags_lock:
                    self._etags[cache_key] = (etag, data)
            return data
        raise ActionFailed("GitHub kept failing (5xx or timeouts)", retryable=True)

    def write(
        self, call: Callable[..., Response[Any]], *args: Any, idempotent: bool, **kw: Any
    ) -> Any:
        """A mutation through the queue; retried in place only when `idempotent` (PATCH)."""
        attempts = READ_ATTEMPTS if idempotent else 1
        last: _Transient | None = None
        for attempt in range(attempts):
            try:
                response = self._send(call, args, kw, headers=None, mutating=True)
            except _Transient as exc:
                last = exc
                if attempt + 1 < attempts:
                    self._backoff(attempt, exc)
                continue
            return response.json() if response.content else None
        raise Ambiguous(str(last)) from None

    def _backoff(self, attempt: int, exc: Exception) -> None:
        self.gate.stats.retries += 1
        delay = min(8.0, 0.5 * 2**attempt)
        log.info("GitHub transient failure (%s); retrying in %.1fs", exc, delay)
        self.gate.sleep(delay)

    def _send(
        self,
        call: Callable[..., Response[Any]],
        args: tuple[Any, ...],
        kw: dict[str, Any],
        *,
        headers: dict[str, str] | None,
        mutating: bool,
    ) -> Response[Any]:
        turn_context = self.gate.mutation_turn() if mutating else _NoTurn()
        with turn_context as turn:
            for _ in range(4):
                self.gate.wait_turn()
                if mutating:
                    self.gate.space(turn.last if turn is not None else None)
                try:
                    self.gate.stats.requests += 1
                    if mutating:
                        self.gate.stats.mutating += 1
                    try:
                        response = (
                            call(*args, headers=headers, **kw) if headers else call(*args, **kw)
                        )
                    finally:
                        if mutating:
                            # measured from the answer, so arrivals are `interval` apart too
                            self.gate.last_mutation = self.gate.clock()
                            if turn is not None:
                                turn.last = turn.finished = time.time()
                except (RequestFailed, RequestError) as caught:
                    # githubkit wraps a failed token exchange (GitHub App) in RequestError
                    exc = caught.exc if isinstance(caught.exc, RequestFailed) else caught
                    if not isinstance(exc, RequestFailed):
                        kind = "timeout" if isinstance(exc, RequestTimeout) else "connection"
                        raise _Transient(f"{kind}: {type(exc.exc).__name__}") from None
                    raw = exc.response.raw_response
                    if raw.status_code == 304:
                        return exc.response
                    if self._observe(raw):
                        continue  # refused by a rate limit, so nothing happened: safe to resend
                    if raw.status_code >= 500:
                        raise _Transient(f"HTTP {raw.status_code}") from None
                    raise GitHubError(raw.status_code, _message(raw)) from None
                else:
                    self._observe(response.raw_response)
                    return response
            raise ActionFailed("GitHub rate limits kept refusing", retryable=True, retry_after=60)

    def _observe(self, response: httpx.Response) -> bool:
        """Read rate-limit headers; True when this response was a refusal to retry later."""
        headers = response.headers
        remaining = headers.get("x-ratelimit-remaining", "")
        if remaining.isdigit():
            self.rate_limit_remaining = int(remaining)
        if _secondary(response):
            after = headers.get("retry-after")
            self.gate.pause(
                float(after) if after and after.isdigit() else SECONDARY_DEFAULT, "secondary limit"
            )
            return True
        if headers.get("x-ratelimit-remaining") == "0":
            reset = headers.get("x-ratelimit-reset", "")
            wait = float(reset) - time.time() if reset.isdigit() else SECONDARY_DEFAULT
            self.gate.pause(max(1.0, wait), "primary limit exhausted")
            return response.status_code in (403, 429)
        return False


class _NoTurn:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


class _Transient(Exception):
    """A 5xx or a timeout: the request may or may not have taken effect.

    Private control flow of the retry loops, never raised past them (they answer
    `Ambiguous` or `ActionFailed`), so it stays outside the tree in `autotriage.errors`.
    """


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    message = str(body.get("message", ""))
    errors = body.get("errors")
    if errors:
        message += f" {errors}"[:300]
    return message
