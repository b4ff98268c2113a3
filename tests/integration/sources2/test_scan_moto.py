"""Scans against a moto server through real boto3 HTTP calls: pagination, prefixes,
reassembly, cursors with overlap, resuming after a crash, the lock, and the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from autotriage.config import Settings, load_settings
from autotriage.errors import ScanBusy
from autotriage.scans.runner import Scanner, ScanSummary, cursor_name
from autotriage.sources.aws.logs_api import make_client
from autotriage.store import Store
from autotriage.store.cursors import load_cursor
from autotriage.store.scans import begin_scan, finish_scan, get_scan
from autotriage.store.tables import Event, Group

AWS_ENV = {
    "AWS_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
}


def _settings(database_url: str, moto_url: str, groups: str, **extra: Any) -> Settings:
    return load_settings(
        env_file=None,
        DATABASE_URL=database_url,
        AWS_ENDPOINT_URL=moto_url,
        AWS_LOG_GROUP_NAME=groups,
        CLOUDWATCH_MAX_RPS=1000,
        **AWS_ENV,
        **extra,
    )


def _titles(store: Store) -> list[str]:
    with store.reading() as session:
        return sorted(session.scalars(select(Event.title)))


def test_scan_reads_every_page_of_prefixed_groups_once(
    store: Store, moto_url: str, logs_client: Any, log_group: Callable[..., str], cw: Any
) -> None:
    prefix = f"/ecs/shop-{os.getpid()}-{cw.now_ms()}"
    first, second = log_group(prefix), log_group(prefix)
    unrelated = log_group("/ecs/other")
    start = cw.now_ms() - 120_000
    cw.put_lines(logs_client, first, "web/1", [*cw.traceback, "2026-05-28 20:26:39 INFO ok"], start)
    cw.put_lines(
        logs_client,
        second,
        "worker/1",
        [
            '{"level":"error","msg":"queue unreachable","service":"worker"}',
            '{"level":"info","msg":"tick"}',
        ],
        start,
    )
    cw.put_lines(logs_client, unrelated, "x", ["2026-05-28 ERROR not ours"], start)
    settings = _settings(store.url, moto_url, f"{prefix}*", CLOUDWATCH_PAGE_SIZE=2)
    client = make_client(settings.aws)
    summary = Scanner(store, settings.aws, client).run(since=timedelta(hours=1))
    assert sorted(g.name for g in summary.groups) == sorted([first, second])
    by_name = {g.name: g for g in summary.groups}
    assert by_name[first].pages == 4
    assert by_name[first].events_read == 8
    assert (by_name[first].errors_found, by_name[second].errors_found) == (1, 1)
    assert _titles(store) == ["ZeroDivisionError: division by zero", "queue unreachable"]

    again = Scanner(store, settings.aws, client).run(since=timedelta(hours=1))
    assert again.as_dict()["stored"] == 0
    assert again.as_dict()["duplicates"] == 2
    assert len(_titles(store)) == 2
    assert load_cursor(store, cursor_name(first))["pass"] is None


def test_late_events_inside_the_overlap_are_not_missed(
    store: Store, moto_url: str, logs_client: Any, log_group: Callable[..., str], cw: Any
) -> None:
    group = log_group()
    cw.put_lines(logs_client, group, "a", ["2026-05-28 ERROR first failure"], cw.now_ms() - 30_000)
    settings = _settings(store.url, moto_url, group, CLOUDWATCH_OVERLAP_SECONDS=120)
    client = make_client(settings.aws)
    Scanner(store, settings.aws, client).run(since=timedelta(minutes=10))
    through = load_cursor(store, cursor_name(group))["through_ms"]
    # Ingested after the scan, stamped before the cursor: CloudWatch's eventual consistency.
    cw.put_lines(logs_client, group, "b", ["2026-05-28 ERROR late arrival"], through - 60_000)
    Scanner(store, settings.aws, client).run(since=timedelta(minutes=10))
    assert _titles(store) == ["2026-05-28 ERROR first failure", "2026-05-28 ERROR late arrival"]


def test_a_crash_between_pages_resumes_from_the_stored_token(
    store: Store, moto_url: str, logs_client: Any, log_group: Callable[..., str], cw: Any
) -> None:
    group = log_group()
    base = cw.now_ms() - 100_000
    for i in range(6):
        cw.put_lines(
            logs_client, group, f"s{i}", [f"2026-05-28 ERROR failure number {i}"], base + i
        )
    settings = _settings(store.url, moto_url, group, CLOUDWATCH_PAGE_SIZE=2)
    client = make_client(settings.aws)

    class Crash(Exception):
        pass

    def crash_after_second_page(summary: ScanSummary) -> None:
        if summary.groups and summary.groups[0].pages == 2:
            raise Crash

    with pytest.raises(Crash):
        Scanner(store, settings.aws, client, on_progress=crash_after_second_page).run(
            since=timedelta(hours=1)
        )
    assert len(_titles(store)) == 4
    assert load_cursor(store, cursor_name(group))["pass"]["next_token"]
    resumed = Scanner(store, settings.aws, client).run(since=timedelta(hours=1))
    assert resumed.groups[0].events_read == 2  # only the page not yet committed
    assert resumed.as_dict()["duplicates"] == 0
    assert _titles(store) == [f"2026-05-28 ERROR failure number {i}" for i in range(6)]


def test_two_scans_never_run_at_once(store: Store) -> None:
    first = begin_scan(store, "cli")
    with pytest.raises(ScanBusy) as busy:
        begin_scan(store, "api")
    assert busy.value.scan_id == first
    finish_scan(store, first, {"events_read": 3})
    second = begin_scan(store, "api")
    assert second != first
    assert get_scan(store, first)["status"] == "done"  # type: ignore[index]


def test_a_killed_scans_lock_is_released(store: Store) -> None:
    from autotriage.store.scans import Scan

    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    scan_id = begin_scan(store, "cli")
    with store.transaction() as session:
        row = session.get(Scan, scan_id)
        assert row is not None
        row.owner = f"{row.owner.rpartition(':')[0]}:{dead.stdout.strip()}"
    assert begin_scan(store, "cli") != scan_id
    assert get_scan(store, scan_id)["status"] == "abandoned"  # type: ignore[index]


def _cli(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "autotriage", "scan", *args],
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_scan_dry_run_then_for_real(
    tmp_path: Path, moto_url: str, logs_client: Any, log_group: Callable[..., str], cw: Any
) -> None:
    group = log_group()
    cw.put_lines(logs_client, group, "web/1", cw.traceback, cw.now_ms() - 60_000)
    db = tmp_path / "cli.db"
    env = {
        **cw.env,
        "DATABASE_URL": f"sqlite:///{db}",
        "AWS_ENDPOINT_URL": moto_url,
        "AWS_LOG_GROUP_NAME": group,
        "COLUMNS": "200",
    }
    dry = _cli(env, tmp_path, "--since", "30m", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "dry run" in dry.stdout
    assert group in dry.stdout
    assert "groups would be new: 1" in dry.stdout
    assert "scanning" not in dry.stdout  # no progress bar when stdout is not a terminal
    store = Store(f"sqlite:///{db}")
    with store.reading() as session:
        assert session.scalar(select(func.count()).select_from(Event)) == 0
    assert load_cursor(store, cursor_name(group)) == {}

    real = _cli(env, tmp_path, "--since", "30m")
    assert real.returncode == 0, real.stderr
    assert "groups new: 1" in real.stdout
    with store.reading() as session:
        assert session.scalars(select(Group.title)).all() == ["ZeroDivisionError: division by zero"]
    bad = _cli(env, tmp_path, "--since", "soon")
    assert bad.returncode == 2
    assert "--since" in bad.stderr
    store.dispose()


def test_a_stop_request_ends_the_scan_between_pages_and_the_next_resumes(
    store: Store, moto_url: str, logs_client: Any, log_group: Callable[..., str], cw: Any
) -> None:
    import threading

    from autotriage.errors import ScanStopped

    group = log_group()
    base = cw.now_ms() - 100_000
    for i in range(4):
        cw.put_lines(logs_client, group, f"s{i}", [f"2026-05-28 ERROR stop test {i}"], base + i)
    settings = _settings(store.url, moto_url, group, CLOUDWATCH_PAGE_SIZE=2)
    stop = threading.Event()
    stop.set()
    with pytest.raises(ScanStopped):
        Scanner(store, settings.aws, make_client(settings.aws), stop=stop).run(
            since=timedelta(hours=1)
        )
    assert len(_titles(store)) == 2
    Scanner(store, settings.aws, make_client(settings.aws)).run(since=timedelta(hours=1))
    assert len(_titles(store)) == 4


def test_cli_scan_shows_a_progress_bar_on_a_terminal(
    tmp_path: Path, moto_url: str, logs_client: Any, log_group: Callable[..., str], cw: Any
) -> None:
    import pty

    group = log_group()
    cw.put_lines(logs_client, group, "web/1", cw.traceback, cw.now_ms() - 60_000)
    env = {
        **os.environ,
        **cw.env,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'tty.db'}",
        "AWS_ENDPOINT_URL": moto_url,
        "AWS_LOG_GROUP_NAME": group,
        "CLOUDWATCH_MAX_RPS": "4",
        "COLUMNS": "120",
        "TERM": "xterm",
    }
    env.pop("NO_COLOR", None)
    main, child = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "autotriage", "scan", "--dry-run"],
        cwd=tmp_path,
        env=env,
        stdout=child,
        stderr=child,
        stdin=subprocess.DEVNULL,
    )
    os.close(child)
    chunks: list[bytes] = []
    while True:
        try:
            data = os.read(main, 4096)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    assert process.wait(60) == 0
    os.close(main)
    output = b"".join(chunks).decode(errors="replace")
    assert "scanning" in output  # the live bar, drawn only on a terminal
    assert "CloudWatch scan" in output  # then the summary table
