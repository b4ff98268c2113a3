"""The sections of `Settings`: one small frozen view per concern.

Each field of a section has the name of the flat setting it comes from (so the
environment variable names in `autotriage.config` stay the only names), and list-valued
settings arrive already split. A component is handed its own section, not all settings.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from pydantic import SecretStr

from autotriage.errors import ConfigError

if TYPE_CHECKING:
    from autotriage.config import Settings

# Bodies some senders legitimately need beyond MAX_BODY_BYTES: Firehose buffers up to
# 16 MiB per delivery here; GitHub caps webhook payloads at 25 MB.
FIREHOSE_MAX_BODY_BYTES = 16 * 1024 * 1024
GITHUB_MAX_BODY_BYTES = 25 * 1024 * 1024

Section = TypeVar("Section")


def section(cls: type[Section], settings: Settings, lists: tuple[str, ...] = ()) -> Section:
    """Build the section `cls` from `settings`, splitting the list-valued names in `lists`."""
    values: dict[str, Any] = {}
    for item in fields(cls):  # type: ignore[arg-type]
        value = getattr(settings, item.name)
        values[item.name] = tuple(settings.split_list(value)) if item.name in lists else value
    return cls(**values)


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """How ``serve`` listens, where the store is, and how the worker runs."""

    host: str
    port: int
    public_url: str | None
    database_url: str
    api_token: SecretStr | None
    metrics_token: SecretStr | None
    worker_enabled: bool
    worker_poll_seconds: float
    worker_concurrency: int
    job_engine: Literal["threads", "procrastinate"]
    action_lease_seconds: float
    log_level: str
    log_format: str


@dataclass(frozen=True, slots=True)
class BodyLimits:
    """Every request-body limit (bytes), in one place; routes read them from here."""

    webhook: int  # MAX_BODY_BYTES: signed webhooks and plain posts
    ingest: int  # INGEST_MAX_BODY_BYTES: SDK envelopes and OTLP, as sent
    inflated: int  # INGEST_MAX_INFLATED_BYTES: the same once decompressed
    firehose: int
    github: int

    @classmethod
    def from_settings(cls, settings: Settings) -> BodyLimits:
        """The limits `settings` ask for (a route-specific floor never lowers them)."""
        return cls(
            webhook=settings.max_body_bytes,
            ingest=settings.ingest_max_body_bytes,
            inflated=settings.ingest_max_inflated_bytes,
            firehose=max(settings.max_body_bytes, FIREHOSE_MAX_BODY_BYTES),
            github=max(settings.max_body_bytes, GITHUB_MAX_BODY_BYTES),
        )


@dataclass(frozen=True, slots=True)
class IngestSettings:
    """The ingest endpoints' keys, overload limits and the shared webhook secret."""

    ingest_max_inflight: int
    ingest_events_per_minute: int
    ingest_key_cache_seconds: float
    ingest_requests_per_minute_per_ip: int
    ingest_max_backlog: int
    ingest_max_commit_seconds: float
    ingest_shed_retry_seconds: int
    webhook_secret: SecretStr | None
    webhook_max_skew_seconds: int
    bench_endpoints: bool


@dataclass(frozen=True, slots=True)
class GitHubSettings:
    """Where issues go on GitHub and how autotriage talks to it."""

    github_token: SecretStr | None
    github_owner: str | None
    github_repo: str | None
    github_api_url: str
    github_app_id: int | None
    github_app_private_key: SecretStr | None
    github_app_private_key_file: Path | None
    github_app_installation_id: int | None
    github_webhook_secret: SecretStr | None
    github_milestone: int | None
    github_issue_type: str | None
    github_assign_owners: bool
    github_mention_teams: bool
    github_assign_commit_author: bool
    github_mutation_interval: float
    github_timeout: float
    github_poll_seconds: float
    github_spike_factor: float

    @property
    def configured(self) -> bool:
        """True when issues should go to GitHub rather than the local tracker."""
        app = bool(self.github_app_id and self.github_app_installation_id and self.app_key())
        return bool((self.github_token or app) and self.github_owner and self.github_repo)

    def app_key(self) -> str | None:
        """The GitHub App's private key (PEM), from the variable or the key file."""
        if self.github_app_private_key is not None:
            return self.github_app_private_key.get_secret_value().replace("\\n", "\n")
        if self.github_app_private_key_file is not None:
            try:
                return self.github_app_private_key_file.read_text()
            except OSError as exc:
                problem = exc.strerror or "unreadable"
                raise ConfigError("GITHUB_APP_PRIVATE_KEY_FILE", problem) from None
        return None


@dataclass(frozen=True, slots=True)
class AwsSettings:
    """CloudWatch Logs polling, Firehose delivery and SNS subscriptions."""

    aws_region: str | None
    aws_access_key_id: SecretStr | None
    aws_secret_access_key: SecretStr | None
    aws_log_group_name: tuple[str, ...]
    aws_endpoint_url: str | None
    scan_interval: int
    cloudwatch_filter_pattern: str
    cloudwatch_overlap_seconds: int
    cloudwatch_page_size: int
    cloudwatch_max_rps: float
    firehose_access_key: SecretStr | None
    sns_topic_arns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SlackSettings:
    """Slack posting (webhook or bot) and the channels Slack ingest accepts."""

    slack_webhook_url: SecretStr | None
    slack_bot_token: SecretStr | None
    slack_signing_secret: SecretStr | None
    slack_channels: tuple[str, ...]
    slack_channel: str | None
    slack_api_url: str

    @property
    def configured(self) -> bool:
        """True when autotriage can post to Slack (incoming webhook or bot token + channel)."""
        return bool(self.slack_webhook_url or (self.slack_bot_token and self.slack_channel))


@dataclass(frozen=True, slots=True)
class SentrySettings:
    """Sentry's API and integration, and ``SENTRY_DSN`` for autotriage's own errors."""

    sentry_dsn: SecretStr | None
    sentry_auth_token: SecretStr | None
    sentry_organization: str | None
    sentry_project: str | None
    sentry_url: str
    sentry_client_secret: SecretStr | None


@dataclass(frozen=True, slots=True)
class AnalysisSettings:
    """Code analysis and grouping: repository, mappings, suspects, rules, in-app prefixes.

    The GitHub repository's coordinates and token are here too: analysis mirrors the
    repository from GitHub and asks its commits API for the suspect's login.
    """

    repo_path: str | None
    repo_cache_dir: str
    repo_fetch_interval_seconds: float
    github_git_url: str | None
    github_api_url: str
    github_owner: str | None
    github_repo: str | None
    github_token: SecretStr | None
    code_mappings: dict[str, str]
    release_ref_pattern: str | None
    suspect_max_age_days: int
    fingerprint_rules: str | None
    in_app_include: tuple[str, ...]
    in_app_exclude: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ScrubSettings:
    """What is redacted, on top of secrets, from text that leaves."""

    scrub_emails: bool
    scrub_ips: bool


@dataclass(frozen=True, slots=True)
class FixSettings:
    """Fix attempts and pull requests: ``PR_*``, ``FIX_*`` and the LLM fixer's ``LLM_*``."""

    pr_enabled: bool
    pr_confidence_threshold: float
    fix_test_command: str | None
    fix_setup_command: str | None
    fix_test_timeout: float
    fix_test_cpu_seconds: int
    fix_test_memory_mb: int
    fix_max_changed_lines: int
    fix_deterministic_requires: Literal["safe", "proven"]
    fix_llm_requires: Literal["safe", "proven"]
    fix_pr_draft: bool
    fix_bot_name: str
    fix_bot_email: str
    fix_cache_dir: str
    fix_llm_enabled: bool
    llm_base_url: str | None
    llm_api_key: SecretStr | None
    llm_model: str | None
    llm_timeout: float


@dataclass(frozen=True, slots=True)
class RetentionSettings:
    """How much the store keeps: events per group, their age, the delivery dedupe window."""

    events_per_group_keep: int
    event_retention_days: float
    delivery_dedupe_hours: float
    retention_interval_seconds: int


@dataclass(frozen=True, slots=True)
class PipelineSettings:
    """The sections grouping and planning read: GitHub (is it the tracker, its polling and
    spike factor), Slack (is it told) and analysis (the grouping rules)."""

    github: GitHubSettings
    slack: SlackSettings
    analysis: AnalysisSettings
