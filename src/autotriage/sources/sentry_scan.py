"""``autotriage scan --source sentry``: poll unresolved Sentry issues into the inbox.

Each page comes from `sentry_api.poll_page` (one page per call, next cursor returned);
this module owns the short loop of a one-time scan: store a page's events through
`Intake`, then save the cursor in the ``cursors`` table, so a crash repeats at most one
page (and event ids make the repeat store nothing). It stops when Sentry has no more
pages, asks us to wait, or after `max_pages`.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from sqlalchemy.orm import Session

from autotriage.config import Settings
from autotriage.errors import ConfigError
from autotriage.intake import Intake
from autotriage.models import utcnow
from autotriage.sources import sentry, sentry_api
from autotriage.store import Store
from autotriage.store.tables import Cursor

CURSOR_NAME = "sentry:issues"


@dataclass
class ScanResult:
    """What one scan did."""

    pages: int = 0
    stored: int = 0
    duplicates: int = 0
    retry_after: float | None = None


def _load(session: Session, name: str) -> dict[str, object]:
    row = session.get(Cursor, name)
    return dict(row.value) if row is not None else {}


def _save(session: Session, name: str, value: dict[str, object]) -> None:
    row = session.get(Cursor, name)
    if row is None:
        session.add(Cursor(name=name, value=value, updated_at=utcnow()))
    else:
        row.value, row.updated_at = value, utcnow()


def scan_sentry(
    settings: Settings, store: Store, client: httpx.Client, max_pages: int = 20
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
    name = f"{CURSOR_NAME}:{org}/{project}"
    intake = Intake(store)
    result = ScanResult()
    with store.reading() as session:
        cursor = _load(session, name)
    for _ in range(max_pages):
        page = sentry_api.poll_page(
            client, settings.sentry_url, token.get_secret_value(), org, project, cursor
        )
        result.pages += 1
        if page.events:
            outcome = intake.accept(sentry.NAME, page.events)
            result.stored += len(outcome.event_ids)
            result.duplicates += outcome.duplicates
        with store.transaction() as session:
            _save(session, name, page.cursor)
        cursor = page.cursor
        if page.retry_after is not None:
            result.retry_after = page.retry_after
            break
        if not page.more:
            break
    return result
