"""``autotriage scan --source sentry``: poll unresolved Sentry issues into the inbox.

Each page comes from `sentry_api.poll_page` (one page per call, next cursor returned);
this module owns the short loop of a one-time scan: store a page's events through
`Intake`, then save the cursor (`autotriage.store.cursors`, shared with the CloudWatch
scans), so a crash repeats at most one page (and event ids make the repeat store
nothing). It stops when Sentry has no more
pages, asks us to wait, or after `max_pages`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from autotriage.config_sections import SentrySettings
from autotriage.errors import ConfigError
from autotriage.intake import Intake
from autotriage.models import utcnow
from autotriage.sources.sentry import api as sentry_api
from autotriage.sources.sentry.event import NAME
from autotriage.store import Store
from autotriage.store.cursors import cursor_name, load_cursor, save_cursor


@dataclass
class ScanResult:
    """What one scan did."""

    pages: int = 0
    stored: int = 0
    duplicates: int = 0
    retry_after: float | None = None


def scan_sentry(
    settings: SentrySettings, store: Store, client: httpx.Client, max_pages: int = 20
) -> ScanResult:
    """Read new unresolved issues page by page; raises `SentryApiError` if Sentry fails."""
    token = settings.sentry_auth_token
    org, project = settings.sentry_organization, settings.sentry_project
    if token is None or not org or not project:
        missing = (
            "SENTRY_AUTH_TOKEN"
            if token is None
            else ("SENTRY_ORGANIZATION" if not org else "SENTRY_PROJECT")
        )
        raise ConfigError(missing, "is required to scan Sentry")
    name = cursor_name(NAME, f"issues:{org}/{project}")
    intake = Intake(store)
    result = ScanResult()
    cursor: dict[str, Any] = load_cursor(store, name)
    for _ in range(max_pages):
        page = sentry_api.poll_page(
            client, settings.sentry_url, token.get_secret_value(), org, project, cursor
        )
        result.pages += 1
        if page.events:
            outcome = intake.accept(NAME, page.events)
            result.stored += len(outcome.event_ids)
            result.duplicates += outcome.duplicates
        with store.transaction() as session:
            save_cursor(session, name, page.cursor, utcnow())
        cursor = page.cursor
        if page.retry_after is not None:
            result.retry_after = page.retry_after
            break
        if not page.more:
            break
    return result
