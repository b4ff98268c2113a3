"""The server's scans: ``POST /trigger-scan`` (202 + id), ``GET /api/scans/{id}`` progress,
one scan at a time, ``SCAN_INTERVAL`` polling, and the console's "Start a scan", against
the moto server."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from autotriage.config import Settings
from autotriage.store.audit import AuditEntry
from autotriage.store.scans import Scan, begin_scan, finish_scan
from autotriage.store.tables import Event, Group
from autotriage.web.app import create_app
from tests.console_data import TOKEN, csrf_of, login


def _wait_done(http: httpx.Client, scan_id: int, headers: dict[str, str]) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        scan = http.get(f"/api/scans/{scan_id}", headers=headers).json()
        if scan["status"] != "running":
            return scan  # type: ignore[no-any-return]
        time.sleep(0.1)
    raise AssertionError("scan did not finish in 30 s")


@pytest.fixture
def one_traceback(
    make_settings: Callable[..., Settings],
    moto_url: str,
    logs_client: Any,
    log_group: Callable[..., str],
    cw: Any,
) -> Callable[..., tuple[str, Settings]]:
    """A log group holding one traceback, and settings scanning it (overrides welcome)."""

    def build(**extra: Any) -> tuple[str, Settings]:
        group = log_group()
        cw.put_lines(logs_client, group, "web/1", cw.traceback, cw.now_ms() - 60_000)
        settings = make_settings(
            **cw.env, AWS_ENDPOINT_URL=moto_url, AWS_LOG_GROUP_NAME=group, **extra
        )
        return group, settings

    return build


def test_trigger_scan_then_follow_its_progress(
    one_traceback: Callable[..., tuple[str, Settings]],
    serve_app: Callable[[FastAPI], httpx.Client],
) -> None:
    group, settings = one_traceback(AUTOTRIAGE_API_TOKEN="api-token-for-tests")
    app = create_app(settings)
    http = serve_app(app)
    auth = {"authorization": "Bearer api-token-for-tests"}
    assert http.post("/trigger-scan").status_code == 401
    started = http.post("/trigger-scan", headers=auth)
    assert started.status_code == 202
    scan_id = started.json()["scan_id"]
    assert started.json()["url"] == f"/api/scans/{scan_id}"
    scan = _wait_done(http, scan_id, auth)
    assert scan["status"] == "done", scan
    assert scan["trigger"] == "api"
    assert scan["progress"]["events_read"] == 7
    assert scan["progress"]["errors_found"] == 1
    assert scan["progress"]["log_groups"][0]["name"] == group
    deadline = time.monotonic() + 20  # the worker groups what the scan stored
    while time.monotonic() < deadline:
        with app.state.store.reading() as session:
            if session.scalars(select(Group.title)).all():
                break
        time.sleep(0.1)
    with app.state.store.reading() as session:
        assert session.scalars(select(Group.title)).all() == ["ZeroDivisionError: division by zero"]

    busy = begin_scan(app.state.store, "cli")
    refused = http.post("/trigger-scan", headers=auth)
    assert refused.status_code == 409
    assert refused.json() == {
        "status": "already_running",
        "scan_id": busy,
        "url": f"/api/scans/{busy}",
    }
    finish_scan(app.state.store, busy, {})
    assert http.get("/api/scans/999999", headers=auth).status_code == 404
    listed = http.get("/api/scans", headers=auth).json()["scans"]
    assert [s["id"] for s in listed] == [busy, scan_id]


def test_scan_interval_polls_in_serve(
    make_settings: Callable[..., Settings],
    serve_app: Callable[[FastAPI], httpx.Client],
    moto_url: str,
    logs_client: Any,
    log_group: Callable[..., str],
    cw: Any,
) -> None:
    group = log_group()
    settings = make_settings(
        **cw.env,
        AWS_ENDPOINT_URL=moto_url,
        AWS_LOG_GROUP_NAME=group,
        SCAN_INTERVAL="1",
    )
    app = create_app(settings)
    http = serve_app(app)
    cw.put_lines(logs_client, group, "w", ["2026-05-28 ERROR first"], cw.now_ms() - 5_000)
    deadline = time.monotonic() + 20
    titles: list[str] = []
    logged_second = False
    while time.monotonic() < deadline and len(titles) < 2:
        if titles and not logged_second:  # after a poll found the first error, log another
            cw.put_lines(logs_client, group, "w", ["2026-05-28 ERROR second"], cw.now_ms())
            logged_second = True
        with app.state.store.reading() as session:
            titles = list(session.scalars(select(Event.title).order_by(Event.id)))
        time.sleep(0.3)
    assert titles == ["2026-05-28 ERROR first", "2026-05-28 ERROR second"]
    scans = http.get("/api/scans").json()["scans"]
    assert scans
    assert {s["trigger"] for s in scans} == {"interval"}


def test_trigger_scan_without_a_log_group(
    make_settings: Callable[..., Settings], serve_app: Callable[[FastAPI], httpx.Client]
) -> None:
    http = serve_app(create_app(make_settings(AUTOTRIAGE_WORKER="false")))
    response = http.post("/trigger-scan")
    assert response.status_code == 200
    assert response.json()["status"] == "no_pull_source"


def test_start_a_scan_from_the_console(one_traceback: Callable[..., tuple[str, Settings]]) -> None:
    """The sources page's button: the scan runs, the page shows it with its cursor, and
    the audit log says who started it."""
    group, settings = one_traceback(AUTOTRIAGE_API_TOKEN=TOKEN, AUTOTRIAGE_WORKER="false")
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
