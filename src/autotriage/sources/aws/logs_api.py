"""CloudWatch Logs' API, one request per call: DescribeLogGroups and FilterLogEvents pages.

Docs: https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_FilterLogEvents.html
(one page per call; an empty page may still carry ``nextToken``). Loops, cursors, pacing and
backoff live in `autotriage.scans`; what the events say is read by
`autotriage.sources.aws.cloudwatch`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from autotriage.config_sections import AwsSettings
from autotriage.sources.aws.cloudwatch import LogEvent


@dataclass(frozen=True, slots=True)
class Page:
    """One FilterLogEvents page: its events and the token for the next one (None: done)."""

    events: list[LogEvent]
    next_token: str | None


def make_client(settings: AwsSettings) -> Any:
    """A boto3 CloudWatch Logs client; retries are ours (`autotriage.scans.throttle`)."""
    import boto3
    from botocore.config import Config

    kwargs: dict[str, Any] = {
        "region_name": settings.aws_region,
        "config": Config(
            retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=10, read_timeout=30
        ),
    }
    if settings.aws_endpoint_url:
        kwargs["endpoint_url"] = settings.aws_endpoint_url
    if settings.aws_access_key_id and settings.aws_secret_access_key:
        kwargs["aws_access_key_id"] = settings.aws_access_key_id.get_secret_value()
        kwargs["aws_secret_access_key"] = settings.aws_secret_access_key.get_secret_value()
    return boto3.client("logs", **kwargs)


def describe_page(client: Any, prefix: str, token: str | None) -> tuple[list[str], str | None]:
    """One DescribeLogGroups page of the groups whose names start with `prefix`."""
    kwargs: dict[str, Any] = {"logGroupNamePrefix": prefix}
    if token:
        kwargs["nextToken"] = token
    response = client.describe_log_groups(**kwargs)
    names = [str(g["logGroupName"]) for g in response.get("logGroups", [])]
    return names, response.get("nextToken")


def filter_page(
    client: Any,
    group: str,
    *,
    start_ms: int,
    end_ms: int,
    pattern: str,
    token: str | None,
    limit: int,
    streams: Sequence[str] | None = None,
) -> Page:
    """One FilterLogEvents page of `group` between `start_ms` and `end_ms` (inclusive)."""
    kwargs: dict[str, Any] = {
        "logGroupName": group,
        "startTime": start_ms,
        "endTime": end_ms,
        "limit": limit,
    }
    if pattern:
        kwargs["filterPattern"] = pattern
    if token:
        kwargs["nextToken"] = token
    if streams:
        kwargs["logStreamNames"] = list(streams)
    response = client.filter_log_events(**kwargs)
    events = [LogEvent.from_api(raw) for raw in response.get("events", [])]
    return Page(events, response.get("nextToken") or None)
