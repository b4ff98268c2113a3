"""The exception tree autotriage raises, and how the web edge answers each.

AutotriageError
├── ConfigError            a setting is missing or invalid (CLI exit code 2)
├── IntakeError            a request we refuse; carries the HTTP status
│   ├── SignatureInvalid   401: bad or missing signature, token or key
│   ├── PayloadInvalid     400: body malformed or a field wrong (names the field)
│   ├── PayloadTooLarge    413: body (or its inflated form) past the limit
│   └── Overloaded         429/503: try again later (with Retry-After)
├── Ignored                a known event type we do not handle: answered 200 "ignored"
└── ActionFailed           an outbound action failed; `retryable` says whether to retry
"""

from __future__ import annotations


class AutotriageError(Exception):
    """Base of every error autotriage raises on purpose."""


class ConfigError(AutotriageError):
    """A configuration variable is missing or invalid."""

    def __init__(self, variable: str, problem: str) -> None:
        self.variable = variable
        self.problem = problem
        super().__init__(f"{variable}: {problem}")


class IntakeError(AutotriageError):
    """A request autotriage refuses, with the HTTP status to answer."""

    status_code = 400
    code = "bad_request"

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class SignatureInvalid(IntakeError):
    """The request's signature, token or key is wrong, missing or stale."""

    status_code = 401
    code = "unauthorized"


class PayloadInvalid(IntakeError):
    """The body cannot be read, or a field is wrong (the reason names it)."""

    status_code = 400
    code = "invalid_payload"


class PayloadTooLarge(IntakeError):
    """The body, or what it inflates to, is past the configured limit."""

    status_code = 413
    code = "payload_too_large"


class Overloaded(IntakeError):
    """We cannot take this now; the client should retry after `retry_after` seconds."""

    status_code = 503
    code = "overloaded"

    def __init__(self, reason: str, retry_after: int = 5, status_code: int = 503) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
        self.status_code = status_code


class Ignored(AutotriageError):
    """A known event type we deliberately do not handle (answered 200 so vendors don't retry)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class ActionFailed(AutotriageError):
    """An outbound action failed; `retryable` tells the outbox whether to try again."""

    def __init__(self, reason: str, *, retryable: bool, retry_after: float | None = None) -> None:
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after
        super().__init__(reason)
