"""The console's queries on PostgreSQL: the list with every column, filter and sort, a
group with its fix pull request, and a resolve that closes the issue."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape

import pytest
from fastapi.testclient import TestClient

from autotriage.actions import build_handlers
from autotriage.actions.kinds import fix_key
from autotriage.actions.outbox import run_due
from autotriage.config import Settings
from autotriage.models import utcnow
from autotriage.store.fixes import save_attempt
from autotriage.store.groups import tracker_item
from autotriage.web.app import create_app
from autotriage.web.console.queries import COLUMNS
from tests.console_data import TOKEN, failed_fix_attempt, login, seed

pytestmark = pytest.mark.postgres


def titles(html: str) -> list[str]:
    return [unescape(t) for t in re.findall(r'class="title" href="/groups/\d+">([^<]+)<', html)]


def test_the_console_on_postgresql(
    make_settings: Callable[..., Settings], postgres_url: str
) -> None:
    settings = make_settings(
        DATABASE_URL=postgres_url, AUTOTRIAGE_WORKER="false", AUTOTRIAGE_API_TOKEN=TOKEN
    )
    app = create_app(settings)
    with TestClient(app, follow_redirects=False) as client:
        services = app.state.services
        ids = seed(services)
        url = "https://github.com/acme/shop/pull/9"
        attempt = {**failed_fix_attempt(), "pr_number": 9, "pr_url": url}
        with services.store.transaction() as session:
            save_attempt(session, fix_key(ids["keyerror"], 0), ids["keyerror"], attempt, utcnow())
        csrf = login(client)
        every = ",".join(COLUMNS)
        page = client.get(f"/?cols={every}&sort=trend&spark=14d").text
        assert titles(page)[0] == "KeyError: 'sku'"
        assert re.findall(r'<td class="num users">([^<]+)</td>', page).count("3") == 1
        assert "PR #9</a>" in page
        assert titles(client.get("/?source=sentry&q=DIVISION").text) == [
            "ZeroDivisionError: division by zero"
        ]
        assert len(titles(client.get("/?range=24h&range_on=first_seen").text)) == 2
        detail = client.get(f"/groups/{ids['keyerror']}").text
        assert '<dd id="users">3</dd>' in detail and "Fix pull request" in detail
        client.post(
            f"/console/groups/{ids['keyerror']}/status", data={"change": "resolve", "csrf": csrf}
        )
        handlers = build_handlers(services.actions)
        while run_due(services.store, handlers, limit=100):
            pass
        with services.store.reading() as session:
            item = tracker_item(session, ids["keyerror"])
            assert item is not None and (item.state, item.state_reason) == ("closed", "completed")
