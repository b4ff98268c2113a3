"""``autotriage doctor``: is the configuration sound and is every configured service reachable?"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import text

from autotriage.cli.common import settings
from autotriage.services import Services, build_services

Check = tuple[str, bool | None, str]  # name, ok (None: not configured), detail


def _database(services: Services) -> Check:
    try:
        services.store.migrate()
        with services.store.reading() as session:
            session.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - doctor reports every failure as a row
        return ("database", False, f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}")
    return ("database", True, f"{services.server.database_url.split('://')[0]} reachable, migrated")


def _http(http: httpx.Client, name: str, url: str, headers: dict[str, str]) -> Check:
    try:
        response = http.get(url, headers=headers, timeout=5.0)
    except httpx.HTTPError as exc:
        return (name, False, f"unreachable: {type(exc).__name__}")
    if response.status_code >= 400:
        return (name, False, f"HTTP {response.status_code} from {url}")
    return (name, True, f"HTTP {response.status_code} from {url}")


def _github(services: Services) -> Check:
    current = services.github
    if not current.configured or current.github_token is None:
        return ("github", None, "not configured: issues go to the local tracker")
    url = f"{current.github_api_url.rstrip('/')}/repos/{current.github_owner}/{current.github_repo}"
    token = current.github_token.get_secret_value()
    return _http(
        services.http,
        "github",
        url,
        {"authorization": f"Bearer {token}", "accept": "application/vnd.github+json"},
    )


def _sentry(services: Services) -> Check:
    current = services.sentry
    if current.sentry_auth_token is None:
        return ("sentry api", None, "not configured")
    token = current.sentry_auth_token.get_secret_value()
    return _http(
        services.http,
        "sentry api",
        f"{current.sentry_url.rstrip('/')}/api/0/",
        {"authorization": f"Bearer {token}"},
    )


def _aws(services: Services) -> Check:
    current = services.aws
    if not current.aws_log_group_name:
        return ("cloudwatch", None, "not configured (AWS_LOG_GROUP_NAME unset)")
    if not current.aws_region:
        return ("cloudwatch", False, "AWS_REGION is required with AWS_LOG_GROUP_NAME")
    import boto3  # imported here: boto3 costs ~0.3 s and only this check needs it
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    key = current.aws_access_key_id
    secret = current.aws_secret_access_key
    client = boto3.client(
        "logs",
        region_name=current.aws_region,
        endpoint_url=current.aws_endpoint_url,
        aws_access_key_id=key.get_secret_value() if key else None,
        aws_secret_access_key=secret.get_secret_value() if secret else None,
        config=Config(connect_timeout=3, read_timeout=5, retries={"max_attempts": 1}),
    )
    try:
        client.describe_log_groups(limit=1)
    except (BotoCoreError, ClientError) as exc:
        return ("cloudwatch", False, f"DescribeLogGroups failed: {type(exc).__name__}")
    return (
        "cloudwatch",
        True,
        f"region {current.aws_region}, groups {','.join(current.aws_log_group_name)}",
    )


def _slack(services: Services) -> Check:
    current = services.slack
    if current.slack_webhook_url is None and current.slack_bot_token is None:
        return ("slack", None, "not configured")
    if current.slack_webhook_url is not None:
        url = current.slack_webhook_url.get_secret_value()
        if not url.startswith("https://") and not url.startswith("http://127.0.0.1"):
            return ("slack", False, "SLACK_WEBHOOK_URL must be an https:// URL")
    return ("slack", True, "configured")


CHECKS: list[Callable[[Services], Check]] = [_database, _github, _sentry, _aws, _slack]


def doctor() -> None:
    """Check the configuration and each configured service; exit 1 if something fails."""
    services = build_services(settings())
    try:
        rows = [("configuration", True, "loaded")] + [check(services) for check in CHECKS]
    finally:
        services.close()
    table = Table(title="autotriage doctor")
    table.add_column("check")
    table.add_column("status")
    table.add_column("detail")
    for name, ok, detail in rows:
        status = "[green]ok[/green]" if ok else "[dim]skipped[/dim]" if ok is None else "[red]FAIL"
        table.add_row(name, status, detail)
    Console().print(table)
    if any(ok is False for _, ok, _ in rows):
        raise typer.Exit(1)
