"""``autotriage scan --source sentry``: one pass over Sentry's unresolved issues."""

from __future__ import annotations

import typer

from autotriage.cli.common import fail, open_services
from autotriage.errors import ConfigError, SentryApiError
from autotriage.sources.sentry.poll import scan_sentry


def scan_sentry_once() -> None:
    """Read new unresolved issues into the inbox and print what happened."""
    services = open_services()
    try:
        result = scan_sentry(services.settings.sentry, services.store, services.http)
    except ConfigError as exc:
        raise fail(f"configuration error: {exc}", 2) from None
    except SentryApiError as exc:
        raise fail(f"Sentry: {exc.reason}") from None
    finally:
        services.close()
    wait = f"; Sentry asked us to wait {result.retry_after:.0f}s" if result.retry_after else ""
    typer.echo(
        f"Sentry: {result.pages} page(s), {result.stored} new event(s), "
        f"{result.duplicates} already stored{wait}."
    )
