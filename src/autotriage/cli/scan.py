"""``autotriage scan``: a one-time scan of the pull sources."""

from __future__ import annotations

from typing import Annotated

import httpx
import typer

from autotriage.cli.common import fail, open_store, settings
from autotriage.errors import ConfigError
from autotriage.sources.sentry_api import SentryApiError
from autotriage.sources.sentry_scan import scan_sentry


def scan(
    since: Annotated[str, typer.Option(help="How far back to read, e.g. 60m, 2h, 1d.")] = "60m",
    dry_run: Annotated[bool, typer.Option(help="Read and report; act on nothing.")] = False,
    source: Annotated[str, typer.Option(help="Which pull source: all or sentry.")] = "all",
) -> None:
    """Scan the pull sources (CloudWatch Logs, Sentry) once."""
    del since, dry_run
    current = settings()
    sentry_ready = bool(current.sentry_auth_token and current.sentry_organization)
    if source == "sentry" or (source == "all" and sentry_ready):
        store = open_store(current)
        try:
            with httpx.Client(timeout=30) as client:
                result = scan_sentry(current, store, client)
        except ConfigError as exc:
            raise fail(f"configuration error: {exc}", 2) from None
        except SentryApiError as exc:
            raise fail(f"Sentry: {exc.reason}") from None
        finally:
            store.dispose()
        wait = f"; Sentry asked us to wait {result.retry_after:.0f}s" if result.retry_after else ""
        typer.echo(
            f"Sentry: {result.pages} page(s), {result.stored} new event(s), "
            f"{result.duplicates} already stored{wait}."
        )
        return
    typer.echo("No pull source is configured: nothing to scan.")
