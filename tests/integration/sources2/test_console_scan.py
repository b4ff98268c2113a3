"""Starting a scan from the console's sources page, against the moto server: the scan
runs, the page shows it with its cursor, and the audit log says who started it."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from autotriage.config import Settings
from autotriage.store.audit import AuditEntry
from autotriage.store.scans import Scan
from autotriage.web.app import create_app
from tests.console_data import TOKEN, csrf_of, login


def test_start_a_scan_from_the_sources_page(
    make_settings: Callable[..., Settings],
    moto_url: str,
    logs_client: Any,
    log_group: Callable[..., str],
    cw: Any,
) -> None:
    group = log_group()
    cw.put_lines(logs_client, group, "web/1", cw.traceback, cw.now_ms() - 60_000)
    settings = make_settings(
        **cw.env,
        AWS_ENDPOINT_URL=moto_url,
        AWS_LOG_GROUP_NAME=group,
        AUTOTRIAGE_API_TOKEN=TOKEN,
        AUTOTRIAGE_WORKER="false",
    )
    app = create_app(settings)
    with TestClient(app, follow_redirects=False) as client:
        login(client, "Ana")
        page = client.get("/sources").text
        assert "No pull source configured" not in page
        started = client.post("/console/scan", data={"csrf": csrf_of(page), "next": "/sources"})
        assert started.status_code == 303
        assert started.headers["location"] == "/sources?notice=Scan+started."
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with app.state.store.reading() as session:
                scan = session.query(Scan).one()
                if scan.status != "running":
                    break
            time.sleep(0.1)
        assert (scan.status, scan.trigger) == ("done", "console")
        shown = client.get("/sources").text
        assert f"<tr><td>{scan.id}</td><td>done</td><td>console</td>" in shown
        assert group in shown  # the log group's cursor
        with app.state.store.reading() as session:
            audit = session.query(AuditEntry).filter_by(action="scan").one()
        assert audit.actor == "Ana" and audit.detail["status"] == "started"
