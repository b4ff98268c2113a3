"""``autotriage replay --source text --json`` over the trace fixtures, as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.support import fixture_path

TRACES = fixture_path("traces")
EXPECTED: dict[str, dict[str, Any]] = json.loads((TRACES / "expected.json").read_text())


def _replay(
    tmp_path: Path, *files: Path, extra_env: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'replay.db'}",
        **(extra_env or {}),
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "autotriage",
            "replay",
            "--source",
            "text",
            "--json",
            *map(str, files),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def _crash(event: dict[str, Any]) -> dict[str, Any]:
    frames = event["exceptions"][-1]["frames"]
    in_app = [f for f in frames if f["in_app"]]
    return (in_app or frames)[-1]


def test_replay_reads_every_runtime_fixture(tmp_path: Path) -> None:
    names = sorted(EXPECTED)
    events = _replay(tmp_path, *(TRACES / name for name in names))
    assert len(events) == len(names)
    for name, event in zip(names, events, strict=True):
        expected = EXPECTED[name]
        raised = event["exceptions"][-1]
        assert raised["type"] == expected["type"], name
        assert raised["value"] == expected["value"], name
        assert [e["type"] for e in event["exceptions"]] == expected["chain"], name
        frame = _crash(event)
        assert (frame["filename"] or "").replace("\\", "/").rsplit("/", 1)[-1] == expected[
            "file"
        ], name
        assert frame["lineno"] == expected["line"], name
        assert frame["function"] == expected["function"], name
        assert len(event["fingerprint"]) == 32


def test_replay_of_a_mangled_log_stream(tmp_path: Path) -> None:
    # A Python trace with per-line prefixes, then a Java trace in a JSON log line.
    python = (TRACES / "python/chained_cause.txt").read_text().splitlines()
    java = (TRACES / "java/worker.txt").read_text()
    stream = [f"Mar  7 10:15:02 web-1 app[4242]: {line}" for line in python]
    stream.append(
        json.dumps({"@timestamp": "2024-03-07T10:15:03Z", "level": "ERROR", "message": java})
    )
    path = tmp_path / "stream.log"
    path.write_text("\n".join(stream) + "\n")
    events = _replay(tmp_path, path)
    assert [e["title"] for e in events] == [
        "RuntimeError: config for tenant 42 is unreadable",
        "java.lang.RuntimeException: job 99 failed",
    ]
    assert _crash(events[0])["function"] == "start"
    assert _crash(events[1])["lineno"] == 22


def test_replay_redacts_secrets_in_a_trace(tmp_path: Path) -> None:
    path = tmp_path / "secret.txt"
    path.write_text(
        "Traceback (most recent call last):\n"
        '  File "/srv/app/db.py", line 3, in connect\n'
        "    engine.connect()\n"
        "sqlalchemy.exc.OperationalError: could not connect to "
        "postgresql://app:Hunter2Secret@db.internal:5432/shop password=Hunter2Secret\n"
    )
    (event,) = _replay(tmp_path, path)
    dumped = json.dumps(event)
    assert "Hunter2Secret" not in dumped
    assert "[REDACTED:url_credentials]" in event["exceptions"][-1]["value"]
