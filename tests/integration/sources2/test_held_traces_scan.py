"""Scans that read a traceback's head before its tail was ingested: boto3 against a moto
server, on both backends. The head is held; a later scan (a fresh process: a new store
and scanner) completes it in the same event, grouped by the whole trace."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from autotriage.config import Settings, load_settings
from autotriage.models import utcnow
from autotriage.pipeline import process_pending
from autotriage.scans.runner import Scanner
from autotriage.sources.aws import cloudwatch
from autotriage.sources.aws.cloudwatch import LogEvent
from autotriage.sources.aws.logs_api import make_client
from autotriage.sources.aws.tails import release_expired
from autotriage.store import Store
from autotriage.store.held_traces import HeldTrace
from autotriage.store.tables import Event, Group
from autotriage.understanding.fingerprint import compute_fingerprint
from autotriage.understanding.scrub import scrub_event
from tests.integration.sources2.test_held_traces_firehose import (
    JAVA_HEAD,
    JAVA_TAIL,
    NEXT_RECORD,
    PY2_HEAD,
    PY2_TAIL,
    PY_HEAD,
    PY_TAIL,
)


def _settings(store: Store, moto_url: str, group: str, cw: Any, **extra: Any) -> Settings:
    return load_settings(
        env_file=None,
        DATABASE_URL=store.url,
        AWS_ENDPOINT_URL=moto_url,
        AWS_LOG_GROUP_NAME=group,
        CLOUDWATCH_MAX_RPS=1000,
        **cw.env,
        **extra,
    )


def _scan(store: Store, settings: Settings) -> dict[str, Any]:
    """One scan by a fresh process: its own store connection and scanner."""
    fresh = Store(store.url)
    try:
        summary = Scanner(fresh, settings.aws, make_client(settings.aws)).run(
            since=timedelta(minutes=30)
        )
    finally:
        fresh.dispose()
    assert all(g.error is None for g in summary.groups), summary.groups
    return summary.as_dict()


def _rows(store: Store) -> list[tuple[str, str, str]]:
    with store.reading() as session:
        return [
            (str(r.payload["tags"]["log_stream"]), r.status, r.title)
            for r in session.scalars(select(Event).order_by(Event.id))
        ]


def _groups(store: Store) -> list[tuple[str, str, int]]:
    with store.reading() as session:
        return sorted((g.title, g.fingerprint, g.count) for g in session.scalars(select(Group)))


def _held(store: Store) -> int:
    with store.reading() as session:
        return len(session.scalars(select(HeldTrace)).all())


def _whole(group: str, stream: str, lines: Sequence[str]) -> tuple[str, str, int]:
    """The group the trace read in one piece belongs to (title, fingerprint, count 1)."""
    events = [LogEvent(str(i + 1), stream, 1_000 + i, line) for i, line in enumerate(lines)]
    [event] = cloudwatch.parse_log_events(group, events)
    return event.title, compute_fingerprint(scrub_event(event)).primary, 1


def test_python_tail_in_the_next_scan_completes_the_head(
    store: Store, moto_url: str, logs_client: Any, log_group: Callable[..., str], cw: Any
) -> None:
    group = log_group()
    settings = _settings(store, moto_url, group, cw)
    base = cw.now_ms() - 60_000
    cw.put_lines(logs_client, group, "web/1", PY_HEAD, base, step_ms=1)
    first = _scan(store, settings)
    assert (first["stored"], first["held"]) == (1, 1)
    assert _rows(store) == [("web/1", "held", _rows(store)[0][2])]
    assert process_pending(store, settings) == 0  # nothing is grouped while it waits

    # the tail is ingested after the scan read the head (CloudWatch's eventual consistency)
    cw.put_lines(logs_client, group, "web/1", PY_TAIL, base + len(PY_HEAD), step_ms=1)
    _scan(store, settings)
    assert _rows(store) == [("web/1", "pending", "ZeroDivisionError: division by zero")]
    assert _held(store) == 0
    assert process_pending(store, settings) == 1
    assert _groups(store) == [_whole(group, "web/1", PY_HEAD + PY_TAIL)]

    again = _scan(store, settings)  # the overlap reads it all again: nothing changes
    assert (again["stored"], again["held"]) == (0, 0)
    assert _rows(store) == [("web/1", "done", "ZeroDivisionError: division by zero")]
    assert process_pending(store, settings) == 0


def test_java_frames_the_filter_pattern_misses_are_read_for_the_held_head(
    store: Store, moto_url: str, logs_client: Any, log_group: Callable[..., str], cw: Any
) -> None:
    group = log_group()
    # no overlap: the next scan's window does not read the head again, and the tail's
    # frames match no filter term, so only re-reading the held head finds them
    settings = _settings(store, moto_url, group, cw, CLOUDWATCH_OVERLAP_SECONDS=0)
    base = cw.now_ms() - 60_000
    cw.put_lines(logs_client, group, "api/7", JAVA_HEAD, base, step_ms=1)
    _scan(store, settings)
    assert [status for _, status, _ in _rows(store)] == ["held"]
    frames = [JAVA_TAIL[0], JAVA_TAIL[2], JAVA_TAIL[3]]  # no "Caused by": no error word
    cw.put_lines(logs_client, group, "api/7", [*frames, NEXT_RECORD], base + 10, step_ms=1)
    _scan(store, settings)
    assert [status for _, status, _ in _rows(store)] == ["pending"]
    assert process_pending(store, settings) == 1
    assert _groups(store) == [_whole(group, "api/7", JAVA_HEAD + frames)]
    with store.reading() as session:
        [row] = session.scalars(select(Event)).all()
        functions = [f["function"] for f in row.payload["exceptions"][-1]["frames"]]
    assert len(functions) == 4  # the head's frame and the three read later


def test_a_tail_that_never_comes_is_grouped_as_it_is_after_the_grace(
    store: Store, moto_url: str, logs_client: Any, log_group: Callable[..., str], cw: Any
) -> None:
    group = log_group()
    settings = _settings(store, moto_url, group, cw, CLOUDWATCH_TAIL_GRACE_SECONDS=30)
    cw.put_lines(logs_client, group, "web/9", PY_HEAD, cw.now_ms() - 60_000, step_ms=1)
    _scan(store, settings)
    _scan(store, settings)  # still no tail: still held
    assert [status for _, status, _ in _rows(store)] == ["held"]
    assert release_expired(store) == 0
    # the scanner's grace is at least the scan interval plus a minute
    assert release_expired(store, utcnow() + timedelta(seconds=59)) == 0
    assert release_expired(store, utcnow() + timedelta(seconds=61)) == 1
    assert process_pending(store, settings) == 1
    assert _groups(store) == [_whole(group, "web/9", PY_HEAD)]


def test_a_scan_releases_what_waited_past_its_grace(
    store: Store, moto_url: str, logs_client: Any, log_group: Callable[..., str], cw: Any
) -> None:
    group = log_group()
    settings = _settings(store, moto_url, group, cw)
    cw.put_lines(logs_client, group, "web/8", PY_HEAD, cw.now_ms() - 60_000, step_ms=1)
    _scan(store, settings)
    with store.transaction() as session:  # as if the grace had passed with no timer running
        for head in session.scalars(select(HeldTrace)):
            head.held_until = utcnow() - timedelta(seconds=1)
    _scan(store, settings)  # a CLI scan, no worker: it releases the head itself
    assert [status for _, status, _ in _rows(store)] == ["pending"]
    assert _held(store) == 0


def test_interleaved_streams_complete_their_own_heads(
    store: Store, moto_url: str, logs_client: Any, log_group: Callable[..., str], cw: Any
) -> None:
    group = log_group()
    settings = _settings(store, moto_url, group, cw)
    base = cw.now_ms() - 60_000
    cw.put_lines(logs_client, group, "web/a", PY_HEAD, base, step_ms=1)
    cw.put_lines(logs_client, group, "web/b", PY2_HEAD, base + 1, step_ms=1)
    _scan(store, settings)
    assert _held(store) == 2
    cw.put_lines(logs_client, group, "web/b", PY2_TAIL, base + 8, step_ms=1)
    cw.put_lines(logs_client, group, "web/a", PY_TAIL, base + 9, step_ms=1)
    _scan(store, settings)
    assert _held(store) == 0
    assert process_pending(store, settings) == 2
    assert _groups(store) == sorted(
        [_whole(group, "web/a", PY_HEAD + PY_TAIL), _whole(group, "web/b", PY2_HEAD + PY2_TAIL)]
    )
    assert len(_rows(store)) == 2


def test_cli_scan_says_what_it_holds(
    tmp_path: Any, moto_url: str, logs_client: Any, log_group: Callable[..., str], cw: Any
) -> None:
    import os
    import subprocess
    import sys

    group = log_group()
    cw.put_lines(logs_client, group, "web/1", PY_HEAD, cw.now_ms() - 60_000, step_ms=1)
    env = {
        **os.environ,
        **cw.env,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "AWS_ENDPOINT_URL": moto_url,
        "AWS_LOG_GROUP_NAME": group,
        "COLUMNS": "200",
    }
    result = subprocess.run(
        [sys.executable, "-m", "autotriage", "scan", "--since", "30m"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "held for their tail: 1 cut-off trace(s)" in result.stdout
    assert "groups new: 0" in result.stdout  # nothing acted on while it waits


def test_a_head_pushed_by_firehose_is_completed_by_a_scan(
    store: Store, moto_url: str, logs_client: Any, log_group: Callable[..., str], cw: Any
) -> None:
    from autotriage.intake import Intake
    from autotriage.sources.aws import firehose, tails
    from tests.integration.sources2.test_held_traces_firehose import delivery, message

    group = log_group()
    settings = _settings(store, moto_url, group, cw)
    base = cw.now_ms() - 60_000
    cw.put_lines(logs_client, group, "web/x", PY_HEAD, base, step_ms=1)
    read = logs_client.filter_log_events(logGroupName=group, logStreamNames=["web/x"])
    pushed = [
        {"id": e["eventId"], "timestamp": e["timestamp"], "message": e["message"]}
        for e in read["events"]
    ]
    body = delivery("x-1", {**message("web/x", pushed), "logGroup": group})
    intake = Intake(store)
    intake.after_store[cloudwatch.NAME] = tails.intake_hook(120)
    intake.accept("cloudwatch", firehose.parse(body, {}), delivery_id="firehose:x-1")
    assert [status for _, status, _ in _rows(store)] == ["held"]

    cw.put_lines(logs_client, group, "web/x", PY_TAIL, base + len(PY_HEAD), step_ms=1)
    _scan(store, settings)  # the same record, whole, by its first eventId
    assert _rows(store) == [("web/x", "pending", "ZeroDivisionError: division by zero")]
    assert process_pending(store, settings) == 1
    assert _groups(store) == [_whole(group, "web/x", PY_HEAD + PY_TAIL)]
