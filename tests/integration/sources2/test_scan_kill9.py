"""A real ``autotriage scan`` killed with SIGKILL mid-run, then run again: every error
is stored and processed exactly once (the page's events and its cursor commit together)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from autotriage.scans.runner import cursor_name
from autotriage.store import Store
from autotriage.store.cursors import load_cursor
from autotriage.store.scans import Scan
from autotriage.store.tables import Event, Group

ERRORS = 40


def _stored(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return int(conn.execute("SELECT count(*) FROM events").fetchone()[0])
    except sqlite3.OperationalError:
        return 0  # not created or not migrated yet


def test_scan_killed_mid_run_then_rerun_processes_every_error_once(
    tmp_path: Path, moto_url: str, logs_client: Any, log_group: Callable[..., str], cw: Any
) -> None:
    group = log_group()
    base = cw.now_ms() - 200_000
    for i in range(ERRORS):  # separate streams: one context read per error, a slow scan
        cw.put_lines(
            logs_client,
            group,
            f"task/{i:02d}",
            [f"2026-05-28 20:26:38 ERROR payment {i} failed: card declined"],
            base + i,
        )
    db = tmp_path / "kill9.db"
    env = {
        **os.environ,
        **cw.env,
        "DATABASE_URL": f"sqlite:///{db}",
        "AWS_ENDPOINT_URL": moto_url,
        "AWS_LOG_GROUP_NAME": group,
        "CLOUDWATCH_PAGE_SIZE": "4",
        "CLOUDWATCH_MAX_RPS": "12",
    }
    command = [sys.executable, "-m", "autotriage", "scan", "--since", "30m"]
    victim = subprocess.Popen(
        command,
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while _stored(db) < 8:
        assert victim.poll() is None, "the scan ended before it could be killed"
        assert time.monotonic() < deadline, "the scan stored nothing in 60 s"
        time.sleep(0.02)
    victim.send_signal(signal.SIGKILL)
    victim.wait(10)
    killed_at = _stored(db)
    assert 8 <= killed_at < ERRORS, killed_at

    store = Store(f"sqlite:///{db}")
    assert load_cursor(store, cursor_name(group))["pass"][
        "next_token"
    ]  # a half-done pass was recorded
    with store.reading() as session:
        assert session.scalars(select(Scan.status)).all() == ["running"]  # as the kill left it

    rerun = subprocess.run(
        command,
        cwd=tmp_path,
        env={**env, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert rerun.returncode == 0, rerun.stderr
    with store.reading() as session:
        ids = session.scalars(select(Event.source_event_id)).all()
        statuses = set(session.scalars(select(Event.status)))
        [group_row] = session.scalars(select(Group)).all()
        scans = session.scalars(select(Scan.status).order_by(Scan.id)).all()
        total = session.scalar(select(func.count()).select_from(Event))
    assert total == ERRORS
    assert len(set(ids)) == ERRORS  # every error once
    assert statuses == {"done"}
    assert group_row.count == ERRORS  # each processed exactly once
    assert scans == ["abandoned", "done"]
    assert load_cursor(store, cursor_name(group))["pass"] is None
    store.dispose()
