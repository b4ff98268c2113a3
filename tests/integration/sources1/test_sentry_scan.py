"""``autotriage scan --source sentry`` against a local stand-in for Sentry's API:
cursor pagination, latest events, the stored cursor, and rate-limit waits."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select

from autotriage.config import load_settings
from autotriage.sources.sentry.poll import scan_sentry
from autotriage.store import Store
from autotriage.store.tables import Cursor, Event

ISSUES = [
    {"id": "101", "firstSeen": "2026-11-29T01:00:00Z", "title": "KeyError: 'a'"},
    {"id": "102", "firstSeen": "2026-11-29T01:30:00Z", "title": "KeyError: 'b'"},
    {"id": "103", "firstSeen": "2026-11-29T01:10:00Z", "title": "KeyError: 'c'"},
]


def _latest(issue_id: str) -> dict[str, Any]:
    return {
        "eventID": f"{issue_id:0>32}",
        "groupID": issue_id,
        "platform": "python",
        "dateCreated": "2026-11-29T01:45:00Z",
        "tags": [{"key": "level", "value": "error"}],
        "entries": [
            {
                "type": "exception",
                "data": {
                    "values": [
                        {
                            "type": "KeyError",
                            "value": issue_id,
                            "stacktrace": {
                                "frames": [
                                    {
                                        "filename": "app.py",
                                        "function": f"f{issue_id}",
                                        "lineNo": 1,
                                        "inApp": True,
                                    }
                                ]
                            },
                        }
                    ]
                },
            }
        ],
    }


class FakeSentry:
    """Serves two pages of issues, their latest events, and optionally a 429."""

    def __init__(self) -> None:
        self.queries: list[dict[str, list[str]]] = []
        self.limit_latest_of: str | None = None
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                headers: dict[str, str] = {}
                status = 200
                if parts.path == "/api/0/projects/org/proj/issues/":
                    query = parse_qs(parts.query)
                    fake.queries.append(query)
                    if "firstSeen" in query["query"][0]:
                        body: Any = [ISSUES[1]]  # the newest, seen before
                    elif query.get("cursor") == ["0:25:0"]:
                        body = ISSUES[2:]
                    else:
                        body = ISSUES[:2]
                        headers["link"] = (
                            f'<{fake.url}{parts.path}?cursor=0:25:0>; rel="next"; '
                            'results="true"; cursor="0:25:0"'
                        )
                elif parts.path.endswith("/events/latest/"):
                    issue = parts.path.split("/")[-4]
                    if issue == fake.limit_latest_of:
                        status, body, headers["retry-after"] = 429, {}, "30"
                    else:
                        body = _latest(issue)
                else:
                    status, body = 404, {}
                raw = json.dumps(body).encode()
                self.send_response(status)
                for name, value in {**headers, "content-type": "application/json"}.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


@pytest.fixture
def fake_sentry() -> Iterator[FakeSentry]:
    fake = FakeSentry()
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def _settings(fake: FakeSentry, store: Store) -> Any:
    return load_settings(
        env_file=None,
        DATABASE_URL=store.url,
        SENTRY_URL=fake.url,
        SENTRY_AUTH_TOKEN="t",
        SENTRY_ORGANIZATION="org",
        SENTRY_PROJECT="proj",
    )


def test_scan_follows_cursors_and_remembers_where_it_stopped(
    store: Store, fake_sentry: FakeSentry
) -> None:
    settings = _settings(fake_sentry, store)
    with httpx.Client() as client:
        first = scan_sentry(settings.sentry, store, client)
        second = scan_sentry(settings.sentry, store, client)
    assert (first.pages, first.stored) == (2, 3)
    assert fake_sentry.queries[1]["cursor"] == ["0:25:0"]
    assert (second.pages, second.stored, second.duplicates) == (1, 0, 1)
    assert fake_sentry.queries[2]["query"] == ["is:unresolved firstSeen:>=2026-11-29T01:30:00Z"]
    with store.reading() as session:
        events = list(session.scalars(select(Event)))
        cursor = session.scalars(select(Cursor)).one()
    assert sorted(e.payload["contexts"]["sentry"]["issue_id"] for e in events) == [
        "101",
        "102",
        "103",
    ]
    assert events[0].payload["exceptions"][0]["frames"][0]["function"] == "f101"
    assert cursor.value["since"] == "2026-11-29T01:30:00Z"


def test_rate_limit_keeps_the_page_for_next_time(store: Store, fake_sentry: FakeSentry) -> None:
    fake_sentry.limit_latest_of = "102"
    settings = _settings(fake_sentry, store)
    with httpx.Client() as client:
        limited = scan_sentry(settings.sentry, store, client)
        fake_sentry.limit_latest_of = None
        resumed = scan_sentry(settings.sentry, store, client)
    assert limited.retry_after == 30.0
    assert limited.stored == 1
    assert "cursor" not in fake_sentry.queries[1]  # the same first page again
    assert resumed.stored == 2
    assert resumed.duplicates == 1


def test_cli_scan(tmp_path: Path, fake_sentry: FakeSentry) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}",
        "SENTRY_URL": fake_sentry.url,
        "SENTRY_AUTH_TOKEN": "t",
        "SENTRY_ORGANIZATION": "org",
        "SENTRY_PROJECT": "proj",
    }
    done = subprocess.run(
        [sys.executable, "-m", "autotriage", "scan", "--source", "sentry"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Sentry: 2 page(s), 3 new event(s)" in done.stdout
    missing = subprocess.run(
        [sys.executable, "-m", "autotriage", "scan", "--source", "sentry"],
        env={**env, "SENTRY_PROJECT": ""},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert missing.returncode == 2
    assert "SENTRY_PROJECT" in missing.stderr
