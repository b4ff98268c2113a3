"""Configuration: one pydantic-settings model, loaded once by `load_settings()`.

Variable names are the environment variable names (case-insensitive), so the original
design's names (``GITHUB_TOKEN``, ``AWS_LOG_GROUP_NAME``, ``PORT`` ...) keep working.
Values come from the environment and an optional ``.env`` file; the environment wins.
Secrets are `SecretStr`: they never appear in a repr, a log line or an error message.
Nothing else in the package reads ``os.environ``.

The flat fields are grouped into sections (`Settings.server`, ``.ingest``, ``.github``,
``.aws``, ``.slack``, ``.sentry``, ``.analysis``, ``.scrub``, ``.limits``; see
`autotriage.config_sections`) so each component is handed only its own. List-valued
variables take one syntax everywhere: comma-separated (``a,b``) or a JSON array
(``["a", "b"]``), both read by `split_list`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from autotriage.config_sections import (
    ActionSettings,
    AnalysisSettings,
    AwsSettings,
    BodyLimits,
    FixSettings,
    GitHubSettings,
    IngestSettings,
    PipelineSettings,
    RetentionSettings,
    ScrubSettings,
    SentrySettings,
    ServerSettings,
    SlackSettings,
    section,
)
from autotriage.errors import ConfigError
from autotriage.understanding.fingerprint import load_rules

DEFAULT_DATABASE_URL = "sqlite:///./data/autotriage.db"
# CloudWatch Logs filter syntax: `?term` ORs terms (case-sensitive); the JSON level
# spellings catch structured logs, `[ERROR]` Lambda's runtime lines.
DEFAULT_FILTER_PATTERN = (
    "?ERROR ?Error ?error ?Exception ?Traceback ?panic ?FATAL ?Fatal ?CRITICAL ?errorType"
)
# The one default for how long a claimed action is leased (the outbox's default too).
DEFAULT_ACTION_LEASE_SECONDS = 120.0


def split_list(value: str | None) -> list[str]:
    """A list setting's items: a JSON array, or comma-separated; blanks dropped.

    Raises ValueError for a value that starts like a JSON array but is not one of strings.
    """
    text = (value or "").strip()
    if text.startswith("["):
        try:
            items = json.loads(text)
        except ValueError:
            raise ValueError("must be a JSON array of strings or comma-separated") from None
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise ValueError("must be a JSON array of strings or comma-separated")
        return [item.strip() for item in items if item.strip()]
    return [item.strip() for item in text.split(",") if item.strip()]


class Settings(BaseSettings):
    """Every setting autotriage reads. See ``.env.example`` for each one's meaning."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        hide_input_in_errors=True,
        populate_by_name=True,
    )

    # --- server and store
    host: str = Field("127.0.0.1", alias="HOST")
    port: int = Field(3000, alias="PORT", ge=1, le=65535)
    public_url: str | None = Field(None, alias="PUBLIC_URL")
    database_url: str = Field(DEFAULT_DATABASE_URL, alias="DATABASE_URL")
    api_token: SecretStr | None = Field(None, alias="AUTOTRIAGE_API_TOKEN")
    metrics_token: SecretStr | None = Field(None, alias="METRICS_TOKEN")
    log_format: str = Field("text", alias="LOG_FORMAT", pattern="^(text|json)$")
    max_body_bytes: int = Field(1024 * 1024, alias="MAX_BODY_BYTES", ge=1024)
    worker_enabled: bool = Field(True, alias="AUTOTRIAGE_WORKER")
    worker_concurrency: int = Field(4, alias="AUTOTRIAGE_WORKER_CONCURRENCY", ge=1, le=64)
    worker_poll_seconds: float = Field(0.2, alias="AUTOTRIAGE_WORKER_POLL_SECONDS", gt=0)
    action_lease_seconds: float = Field(
        DEFAULT_ACTION_LEASE_SECONDS, alias="AUTOTRIAGE_ACTION_LEASE_SECONDS", ge=1
    )
    log_level: str = Field("info", alias="LOG_LEVEL")
    # On PostgreSQL the worker's work runs on the job engine (procrastinate); "threads"
    # keeps the lease-loop worker threads instead. SQLite always runs the threads.
    job_engine: Literal["threads", "procrastinate"] = Field("procrastinate", alias="JOB_ENGINE")

    # --- retention (autotriage.jobs.retention); 0 disables a rule
    events_per_group_keep: int = Field(1000, alias="EVENTS_PER_GROUP_KEEP", ge=0)
    event_retention_days: float = Field(30, alias="EVENT_RETENTION_DAYS", ge=0)
    delivery_dedupe_hours: float = Field(72, alias="DELIVERY_DEDUPE_HOURS", ge=0)
    retention_interval_seconds: int = Field(3600, alias="RETENTION_INTERVAL_SECONDS", ge=0)

    # --- code analysis (autotriage.analysis)
    repo_path: str | None = Field(None, alias="REPO_PATH")
    repo_cache_dir: str = Field("./data/repos", alias="AUTOTRIAGE_REPO_CACHE_DIR")
    repo_fetch_interval_seconds: float = Field(300.0, alias="REPO_FETCH_INTERVAL_SECONDS", ge=0)
    github_git_url: str | None = Field(None, alias="GITHUB_GIT_URL")
    code_mappings: dict[str, str] = Field(default_factory=dict, alias="CODE_MAPPINGS")
    release_ref_pattern: str | None = Field(None, alias="RELEASE_REF_PATTERN")
    suspect_max_age_days: int = Field(365, alias="SUSPECT_MAX_AGE_DAYS", ge=1)

    # --- generic webhook / simple shared secret
    webhook_secret: SecretStr | None = Field(None, alias="WEBHOOK_SECRET")
    webhook_max_skew_seconds: int = Field(300, alias="WEBHOOK_MAX_SKEW_SECONDS", ge=1)

    # --- ingest endpoints (Sentry DSN, OTLP): limits and overload
    ingest_max_body_bytes: int = Field(8 * 1024 * 1024, alias="INGEST_MAX_BODY_BYTES", ge=1024)
    ingest_max_inflated_bytes: int = Field(
        16 * 1024 * 1024, alias="INGEST_MAX_INFLATED_BYTES", ge=1024
    )
    ingest_max_inflight: int = Field(128, alias="INGEST_MAX_INFLIGHT", ge=1)
    ingest_events_per_minute: int = Field(0, alias="INGEST_EVENTS_PER_MINUTE", ge=0)
    ingest_key_cache_seconds: float = Field(5.0, alias="INGEST_KEY_CACHE_SECONDS", ge=0)
    ingest_requests_per_minute_per_ip: int = Field(
        0, alias="INGEST_REQUESTS_PER_MINUTE_PER_IP", ge=0
    )
    ingest_max_backlog: int = Field(50_000, alias="INGEST_MAX_BACKLOG", ge=0)
    ingest_max_commit_seconds: float = Field(2.0, alias="INGEST_MAX_COMMIT_SECONDS", ge=0)
    ingest_shed_retry_seconds: int = Field(10, alias="INGEST_SHED_RETRY_SECONDS", ge=1, le=3600)
    bench_endpoints: bool = Field(False, alias="AUTOTRIAGE_BENCH_ENDPOINTS")

    # --- GitHub
    github_token: SecretStr | None = Field(None, alias="GITHUB_TOKEN")
    github_owner: str | None = Field(None, alias="GITHUB_OWNER")
    github_repo: str | None = Field(None, alias="GITHUB_REPO")
    github_api_url: str = Field("https://api.github.com", alias="GITHUB_API_URL")
    github_app_id: int | None = Field(None, alias="GITHUB_APP_ID")
    github_app_private_key: SecretStr | None = Field(None, alias="GITHUB_APP_PRIVATE_KEY")
    github_app_private_key_file: Path | None = Field(None, alias="GITHUB_APP_PRIVATE_KEY_FILE")
    github_app_installation_id: int | None = Field(None, alias="GITHUB_APP_INSTALLATION_ID")
    github_webhook_secret: SecretStr | None = Field(None, alias="GITHUB_WEBHOOK_SECRET")
    github_milestone: int | None = Field(None, alias="GITHUB_MILESTONE")
    github_issue_type: str | None = Field(None, alias="GITHUB_ISSUE_TYPE")
    github_assign_owners: bool = Field(True, alias="GITHUB_ASSIGN_OWNERS")
    github_mention_teams: bool = Field(True, alias="GITHUB_MENTION_TEAMS")
    github_assign_commit_author: bool = Field(False, alias="GITHUB_ASSIGN_COMMIT_AUTHOR")
    github_mutation_interval: float = Field(1.0, alias="GITHUB_MUTATION_INTERVAL", ge=0)
    github_timeout: float = Field(10.0, alias="GITHUB_TIMEOUT", gt=0)
    github_poll_seconds: float = Field(300.0, alias="GITHUB_POLL_SECONDS", ge=0)
    github_spike_factor: float = Field(10.0, alias="GITHUB_SPIKE_FACTOR", gt=1)

    # --- AWS CloudWatch
    aws_region: str | None = Field(None, alias="AWS_REGION")
    aws_access_key_id: SecretStr | None = Field(None, alias="AWS_ACCESS_KEY_ID")
    aws_secret_access_key: SecretStr | None = Field(None, alias="AWS_SECRET_ACCESS_KEY")
    aws_log_group_name: str | None = Field(None, alias="AWS_LOG_GROUP_NAME")
    aws_endpoint_url: str | None = Field(None, alias="AWS_ENDPOINT_URL")
    # CloudWatch polling (autotriage.scans) and push (Firehose, SNS)
    scan_interval: int = Field(0, alias="SCAN_INTERVAL", ge=0)  # seconds; 0 = off
    cloudwatch_filter_pattern: str = Field(
        DEFAULT_FILTER_PATTERN, alias="CLOUDWATCH_FILTER_PATTERN"
    )
    cloudwatch_overlap_seconds: int = Field(300, alias="CLOUDWATCH_OVERLAP_SECONDS", ge=0)
    cloudwatch_page_size: int = Field(1000, alias="CLOUDWATCH_PAGE_SIZE", ge=1, le=10000)
    cloudwatch_max_rps: float = Field(5.0, alias="CLOUDWATCH_MAX_RPS", gt=0)
    cloudwatch_tail_grace_seconds: int = Field(
        120, alias="CLOUDWATCH_TAIL_GRACE_SECONDS", ge=0, le=3600
    )
    firehose_access_key: SecretStr | None = Field(None, alias="FIREHOSE_ACCESS_KEY")
    sns_topic_arns: str | None = Field(None, alias="SNS_TOPIC_ARNS")

    # --- Sentry
    sentry_dsn: SecretStr | None = Field(None, alias="SENTRY_DSN")
    sentry_auth_token: SecretStr | None = Field(None, alias="SENTRY_AUTH_TOKEN")
    sentry_organization: str | None = Field(None, alias="SENTRY_ORGANIZATION")
    sentry_project: str | None = Field(None, alias="SENTRY_PROJECT")
    sentry_url: str = Field("https://sentry.io", alias="SENTRY_URL")
    sentry_client_secret: SecretStr | None = Field(None, alias="SENTRY_CLIENT_SECRET")

    # --- Slack
    slack_webhook_url: SecretStr | None = Field(None, alias="SLACK_WEBHOOK_URL")
    slack_bot_token: SecretStr | None = Field(None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(None, alias="SLACK_SIGNING_SECRET")
    slack_channels: str | None = Field(None, alias="SLACK_CHANNELS")  # ingest allow-list
    slack_channel: str | None = Field(None, alias="SLACK_CHANNEL")  # where chat.postMessage posts
    slack_api_url: str = Field("https://slack.com/api", alias="SLACK_API_URL")

    # --- grouping and scrubbing (autotriage.understanding)
    fingerprint_rules: str | None = Field(None, alias="FINGERPRINT_RULES")
    """Fingerprint rules: a JSON list, or a JSON file's path (see understanding/fingerprint.py)."""
    in_app_include: str = Field("", alias="IN_APP_INCLUDE")
    """Comma-separated module/path prefixes always treated as the application's own code."""
    in_app_exclude: str = Field("", alias="IN_APP_EXCLUDE")
    """Comma-separated module/path prefixes never treated as the application's own code."""
    scrub_emails: bool = Field(True, alias="SCRUB_EMAILS")
    """Redact email addresses from text that leaves (issues, PRs, Slack, logs)."""
    scrub_ips: bool = Field(False, alias="SCRUB_IPS")
    """Redact IP addresses from text that leaves."""

    # --- fix pull requests (autotriage.actions.fixes; see docs/fixes.md)
    pr_enabled: bool = Field(False, alias="PR_ENABLED")
    pr_confidence_threshold: float = Field(0.8, alias="PR_CONFIDENCE_THRESHOLD", ge=0, le=1)
    fix_test_command: str | None = Field(None, alias="FIX_TEST_COMMAND")
    fix_setup_command: str | None = Field(None, alias="FIX_SETUP_COMMAND")
    fix_test_timeout: float = Field(300.0, alias="FIX_TEST_TIMEOUT", gt=0)
    fix_test_cpu_seconds: int = Field(600, alias="FIX_TEST_CPU_SECONDS", ge=1)
    fix_test_memory_mb: int = Field(4096, alias="FIX_TEST_MEMORY_MB", ge=64)
    fix_max_changed_lines: int = Field(10, alias="FIX_MAX_CHANGED_LINES", ge=1)
    fix_deterministic_requires: Literal["safe", "proven"] = Field(
        "safe", alias="FIX_DETERMINISTIC_REQUIRES"
    )
    fix_llm_requires: Literal["safe", "proven"] = Field("proven", alias="FIX_LLM_REQUIRES")
    fix_pr_draft: bool = Field(True, alias="FIX_PR_DRAFT")
    fix_bot_name: str = Field("autotriage[bot]", alias="FIX_BOT_NAME")
    fix_bot_email: str = Field("autotriage@users.noreply.github.com", alias="FIX_BOT_EMAIL")
    fix_cache_dir: str = Field("./data/fix-cache", alias="FIX_CACHE_DIR")
    fix_llm_enabled: bool = Field(False, alias="FIX_LLM_ENABLED")
    llm_base_url: str | None = Field(None, alias="LLM_BASE_URL")
    llm_api_key: SecretStr | None = Field(None, alias="LLM_API_KEY")
    llm_model: str | None = Field(None, alias="LLM_MODEL")
    llm_timeout: float = Field(60.0, alias="LLM_TIMEOUT", gt=0)

    @field_validator(
        "in_app_include", "in_app_exclude", "slack_channels", "sns_topic_arns", "aws_log_group_name"
    )
    @classmethod
    def _one_list_syntax(cls, value: str | None) -> str | None:
        split_list(value)  # a malformed JSON array is refused here, naming the variable
        return value

    @field_validator("fingerprint_rules")
    @classmethod
    def _readable_rules(cls, value: str | None) -> str | None:
        load_rules(value)  # raises RulesInvalid (a ValueError) naming the bad rule
        return value

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must start with sqlite:// or postgresql://")
        return value

    @field_validator("log_level")
    @classmethod
    def _known_log_level(cls, value: str) -> str:
        if value.lower() not in {"debug", "info", "warning", "error", "critical"}:
            raise ValueError("must be one of debug, info, warning, error, critical")
        return value.lower()

    @property
    def slack_configured(self) -> bool:
        """True when autotriage can post to Slack (incoming webhook or bot token + channel)."""
        return self.slack.configured

    @staticmethod
    def split_list(value: str | None) -> list[str]:
        """A list setting's items (comma-separated or a JSON array); see `split_list`."""
        return split_list(value)

    # --- sections: what each component is given (built once per Settings object)
    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy; its sections are built afresh from its own values, never the original's."""
        copied = super().model_copy(update=update, deep=deep)
        for name in _SECTIONS:
            copied.__dict__.pop(name, None)
        return copied

    @cached_property
    def server(self) -> ServerSettings:
        """HOST, PORT, PUBLIC_URL, DATABASE_URL, the worker and log settings."""
        return section(ServerSettings, self)

    @cached_property
    def ingest(self) -> IngestSettings:
        """Ingest endpoints: key cache, in-flight limit, per-key quota, shared secret."""
        return section(IngestSettings, self)

    @cached_property
    def limits(self) -> BodyLimits:
        """Every request-body limit, in one place."""
        return BodyLimits.from_settings(self)

    @cached_property
    def github(self) -> GitHubSettings:
        """GitHub issues, App credentials, webhook and polling."""
        return section(GitHubSettings, self)

    @cached_property
    def aws(self) -> AwsSettings:
        """CloudWatch Logs polling, Firehose and SNS."""
        return section(AwsSettings, self, lists=("aws_log_group_name", "sns_topic_arns"))

    @cached_property
    def slack(self) -> SlackSettings:
        """Slack notifications and the Slack ingest allow-list."""
        return section(SlackSettings, self, lists=("slack_channels",))

    @cached_property
    def sentry(self) -> SentrySettings:
        """Sentry API polling, the integration secret and autotriage's own SENTRY_DSN."""
        return section(SentrySettings, self)

    @cached_property
    def analysis(self) -> AnalysisSettings:
        """Code analysis: the repository, mappings, suspect commits; grouping rules."""
        return section(AnalysisSettings, self, lists=("in_app_include", "in_app_exclude"))

    @cached_property
    def scrub(self) -> ScrubSettings:
        """SCRUB_EMAILS and SCRUB_IPS: what is redacted from text that leaves."""
        return section(ScrubSettings, self)

    @cached_property
    def retention(self) -> RetentionSettings:
        """EVENTS_PER_GROUP_KEEP, EVENT_RETENTION_DAYS, DELIVERY_DEDUPE_HOURS and how often."""
        return section(RetentionSettings, self)

    @cached_property
    def pipeline(self) -> PipelineSettings:
        """The sections the pipeline reads: GitHub, Slack and analysis."""
        return PipelineSettings(self.github, self.slack, self.analysis)

    @cached_property
    def fix(self) -> FixSettings:
        """PR_*, FIX_* and LLM_*: fix attempts, their gates and sandbox, the LLM fixer."""
        return section(FixSettings, self)

    @cached_property
    def actions(self) -> ActionSettings:
        """The sections the action handlers read (GitHub, Slack, analysis, fix, scrub)."""
        return ActionSettings(
            self.github,
            self.slack,
            self.analysis,
            self.fix,
            self.scrub,
            self.database_url,
            self.public_url,
        )

    @property
    def github_configured(self) -> bool:
        """True when issues should go to GitHub rather than the local tracker."""
        return self.github.configured

    def github_app_key(self) -> str | None:
        """The GitHub App's private key (PEM), from the variable or the key file."""
        return self.github.app_key()


_SECTIONS = tuple(
    name for name, value in vars(Settings).items() if isinstance(value, cached_property)
)


def load_settings(env_file: str | Path | None = ".env", **overrides: Any) -> Settings:
    """Load settings from the environment (and ``env_file`` when it exists).

    Raises `ConfigError` naming the first bad variable; the CLI turns it into one line
    on stderr and exit code 2.
    """
    try:
        return Settings(_env_file=env_file, **overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = first.get("loc") or ("?",)
        raise ConfigError(str(loc[0]).upper(), str(first.get("msg", "invalid value"))) from None
    except SettingsError as exc:
        # A JSON-valued variable (CODE_MAPPINGS) that is not JSON: name it, no traceback.
        found = re.search(r'field "(\w+)"', str(exc))
        field = Settings.model_fields.get(found.group(1)) if found else None
        name = field.alias if field is not None and field.alias else "?"
        raise ConfigError(name.upper(), "must be valid JSON") from None
