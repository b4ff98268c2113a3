"""The exception tree autotriage raises, and how the web edge answers each.

Every class autotriage defines lives here; `autotriage.web.errors` holds the one table
that turns them into responses (the status after each name below).

AutotriageError
├── ConfigError              a setting is missing or invalid (503; CLI exit code 2)
│   └── RulesInvalid         FINGERPRINT_RULES cannot be read; names the rule (a ValueError)
├── IntakeError              a request we refuse; carries its status and the source
│   ├── SignatureInvalid     401: bad or missing signature, token or key
│   ├── TopicNotAllowed      403: an SNS topic outside SNS_TOPIC_ARNS
│   ├── PayloadInvalid       400: body malformed or a field wrong (names the field)
│   ├── PayloadTooLarge      413: body (or its inflated form) past the limit
│   └── Overloaded           429 (a quota, with `scope`) / 503: retry after `retry_after`
├── Ignored                  200 "ignored": a known event type we do not handle
├── SourceError              502: a source we read from failed; carries the source
│   └── SentryApiError       Sentry's API answered something unusable (or asked us to wait)
├── ScanError                a scan of a polled source could not go on
│   ├── ScanBusy             409: another scan is running (`scan_id`)
│   └── ScanStopped          503: the server is stopping (`log_group` it was reading)
├── ActionFailed             502: an outbound action failed; `retryable` says whether to retry
│   ├── GitHubError          GitHub refused a request (`status`)
│   └── Ambiguous            a mutation may or may not have taken effect (timeout, 5xx)
└── GitError                 502: a git command failed; the message is free of credentials
    └── ForeignCommits       a fix branch holds commits not the bot's: never pushed over
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


class RulesInvalid(ConfigError, ValueError):
    """The fingerprint rules cannot be read; the message says which rule and why.

    Also a `ValueError`, so pydantic reports it as the FINGERPRINT_RULES setting's error.
    """

    def __init__(self, problem: str, variable: str = "FINGERPRINT_RULES") -> None:
        super().__init__(variable, problem)

    def __str__(self) -> str:
        # The problem alone: settings validation already names the variable.
        return self.problem


class IntakeError(AutotriageError):
    """A request autotriage refuses, with the HTTP status to answer and the source it hit."""

    status_code = 400
    code = "bad_request"

    def __init__(self, reason: str, *, source: str | None = None) -> None:
        self.reason = reason
        self.source = source
        super().__init__(reason)


class SignatureInvalid(IntakeError):
    """The request's signature, token or key is wrong, missing or stale."""

    status_code = 401
    code = "unauthorized"


class TopicNotAllowed(IntakeError):
    """The SNS message's topic is not in ``SNS_TOPIC_ARNS``."""

    status_code = 403
    code = "forbidden"

    def __init__(self, topic: str) -> None:
        super().__init__(f"topic {topic} is not in SNS_TOPIC_ARNS", source="sns")
        self.topic = topic


class PayloadInvalid(IntakeError):
    """The body cannot be read, or a field is wrong (the reason names it)."""

    status_code = 400
    code = "invalid_payload"


class PayloadTooLarge(IntakeError):
    """The body, or what it inflates to, is past the configured limit."""

    status_code = 413
    code = "payload_too_large"


class Overloaded(IntakeError):
    """We cannot take this now; the client should retry after `retry_after` seconds.

    A quota refusal or shed load is a 429 whose `scope` ("key" or "organization")
    and `reason_code` (why: ``quota``, ``backlog``, ``commit_latency`` ...) Sentry SDKs
    read from ``X-Sentry-Rate-Limits``; an interrupted intake is a 503.
    """

    status_code = 503
    code = "overloaded"

    def __init__(
        self,
        reason: str,
        retry_after: int = 5,
        status_code: int = 503,
        *,
        scope: str | None = None,
        source: str | None = None,
        reason_code: str | None = None,
    ) -> None:
        super().__init__(reason, source=source)
        self.retry_after = retry_after
        self.status_code = status_code
        self.scope = scope
        self.reason_code = reason_code
        if status_code == 429:
            self.code = "rate_limited"


class Ignored(AutotriageError):
    """A known event type we deliberately do not handle (answered 200 so vendors don't retry)."""

    def __init__(self, reason: str, *, source: str | None = None) -> None:
        self.reason = reason
        self.source = source
        super().__init__(reason)


class SourceError(AutotriageError):
    """A source autotriage reads from (an API it polls) failed."""

    def __init__(self, source: str, reason: str, retry_after: float | None = None) -> None:
        self.source = source
        self.reason = reason
        self.retry_after = retry_after
        super().__init__(reason)


class SentryApiError(SourceError):
    """Sentry answered something we cannot use; `retry_after` set when it asked us to wait."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__("sentry", reason, retry_after)


class ScanError(AutotriageError):
    """A scan of a polled source (CloudWatch Logs) could not go on."""


class ScanBusy(ScanError):
    """Another scan is running; `scan_id` names it."""

    def __init__(self, scan_id: int) -> None:
        self.scan_id = scan_id
        super().__init__(f"scan {scan_id} is already running")


class ScanStopped(ScanError):
    """The scan was asked to stop while reading `log_group`; its cursors keep what it did."""

    def __init__(self, log_group: str) -> None:
        self.log_group = log_group
        super().__init__(f"stopped while reading {log_group}; the next scan resumes here")


class ActionFailed(AutotriageError):
    """An outbound action failed; `retryable` tells the outbox whether to try again."""

    def __init__(self, reason: str, *, retryable: bool, retry_after: float | None = None) -> None:
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after
        super().__init__(reason)


class GitHubError(ActionFailed):
    """GitHub refused a request (4xx other than rate limits); `status` is its answer."""

    def __init__(self, status: int, message: str) -> None:
        retryable = status in (401, 409) or status >= 500
        super().__init__(f"GitHub answered {status}: {message}", retryable=retryable)
        self.status = status


class Ambiguous(ActionFailed):
    """A mutation failed in a way that may have taken effect (timeout, 5xx)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"GitHub did not confirm the change ({reason})", retryable=True)


class GitError(AutotriageError):
    """A git command failed; the message is already free of credentials."""


class ForeignCommits(GitError):
    """A fix branch on the remote holds commits the bot did not make: never push over them."""
