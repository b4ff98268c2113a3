"""Request pacing and throttling backoff for AWS APIs.

CloudWatch Logs allows 5 FilterLogEvents requests per second per account and region; a
`Pacer` keeps us under `CLOUDWATCH_MAX_RPS`, and `with_backoff` sleeps with full jitter
on a throttling error and tries again, so a busy account slows a scan but never ends it.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from botocore.exceptions import ClientError

T = TypeVar("T")

THROTTLE_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "ServiceUnavailableException",
        "RequestThrottled",
    }
)

Sleep = Callable[[float], None]


class Pacer:
    """At most `rate` calls per second from every thread sharing this pacer."""

    def __init__(self, rate: float, sleep: Sleep = time.sleep) -> None:
        self.interval = 1.0 / rate
        self.sleep = sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        """Block until the next call is allowed."""
        with self._lock:
            now = time.monotonic()
            delay = self._next - now
            self._next = max(now, self._next) + self.interval
        if delay > 0:
            self.sleep(delay)


def error_code(exc: ClientError) -> str:
    """The AWS error code of a botocore `ClientError`."""
    return str(exc.response.get("Error", {}).get("Code", ""))


def is_throttle(exc: ClientError) -> bool:
    """Whether `exc` says we went too fast."""
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return error_code(exc) in THROTTLE_CODES or status == 429


class Backoff:
    """Full-jitter exponential backoff; counts the throttles it absorbed."""

    def __init__(
        self,
        pacer: Pacer,
        *,
        sleep: Sleep = time.sleep,
        base: float = 0.2,
        cap: float = 20.0,
        max_tries: int = 10,
    ) -> None:
        self.pacer = pacer
        self.sleep = sleep
        self.base = base
        self.cap = cap
        self.max_tries = max_tries
        self.throttled = 0
        self.requests = 0

    def call(self, fn: Callable[[], T]) -> T:
        """Run `fn` after pacing; on throttling sleep a jittered while and retry."""
        for attempt in range(self.max_tries):
            self.pacer.wait()
            self.requests += 1
            try:
                return fn()
            except ClientError as exc:
                if not is_throttle(exc) or attempt == self.max_tries - 1:
                    raise
                self.throttled += 1
                ceiling = min(self.cap, self.base * 2**attempt)
                self.sleep(random.uniform(0, ceiling))  # noqa: S311 - jitter, not crypto
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises
