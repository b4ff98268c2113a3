"""``autotriage scan --source sentry``: one pass over Sentry's unresolved issues."""

from __future__ import annotations

import httpx
import typer

from autotriage.cli.common import fail, open_store
from autotriage.config import Settings
from autotriage.errors import ConfigError
from autotriage.sources.sentry.api import SentryApiError
from autotriage.sources.sentry.poll import scan_sentry


def scan_sentry_once(current: Settings) -> None:
    """Read new unresolved issues into the inbox and print what happened."""
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
