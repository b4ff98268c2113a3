"""`autotriage replay`: the stable JSON interface and the inline pipeline."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support import fixture_path

TRACE = """2026-11-29T10:00:00Z ERROR checkout failed
Traceback (most recent call last):
  File "/srv/app/orders/views.py", line 88, in create_order
    total = compute_total(cart)
  File "/srv/app/orders/pricing.py", line 41, in compute_total
    return subtotal / item_count
ZeroDivisionError: division by zero
"""


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{cwd / 'db.sqlite'}"}
    return subprocess.run(
        [sys.executable, "-m", "autotriage", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_json_lines_have_the_stable_shape(tmp_path: Path) -> None:
    (tmp_path / "trace.txt").write_text(TRACE)
    result = _run(
        tmp_path,
        "replay",
        "--source",
        "text",
        "--json",
        "trace.txt",
        str(fixture_path("sentry", "e_python_event_exception.json")),
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 2
    first = lines[0]
    assert set(first) == {
        "source",
        "fingerprint",
        "level",
        "title",
        "message",
        "release",
        "environment",
        "tags",
        "exceptions",
    }
    assert first["title"] == "ZeroDivisionError: division by zero"
    crash = first["exceptions"][-1]["frames"][-1]
    assert (crash["filename"], crash["lineno"], crash["function"]) == (
        "/srv/app/orders/pricing.py",
        41,
        "compute_total",
    )
    assert set(crash) == {"filename", "abs_path", "module", "function", "lineno", "colno", "in_app"}


def test_auto_detects_sentry_payloads(tmp_path: Path) -> None:
    result = _run(
        tmp_path,
        "replay",
        "--json",
        str(fixture_path("sentry", "c_legacy_webhooks_plugin_real_zulip.json")),
    )
    assert result.returncode == 0, result.stderr
    event = json.loads(result.stdout)
    assert event["source"] == "sentry"


def test_act_groups_and_opens_one_local_issue(tmp_path: Path) -> None:
    (tmp_path / "trace.txt").write_text(TRACE)
    result = _run(tmp_path, "replay", "--source", "text", "--act", "trace.txt", "trace.txt")
    assert result.returncode == 0, result.stderr
    assert "tracker.open ok" in result.stdout
    listed = _run(tmp_path, "groups", "list", "--json")
    groups = json.loads(listed.stdout)
    assert len(groups) == 1
    assert groups[0]["count"] == 2
    assert groups[0]["links"][0]["tracker"] == "local"
    shown = _run(tmp_path, "groups", "show", str(groups[0]["id"]))
    assert "[text] ZeroDivisionError: division by zero" in shown.stdout
    assert "tracker.open" in shown.stdout


def test_bad_files_and_options_are_named(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{")
    missing = _run(tmp_path, "replay", "nope.txt")
    assert missing.returncode == 1 and "nope.txt: cannot read" in missing.stderr
    bad = _run(tmp_path, "replay", "--source", "sentry", "bad.json")
    assert bad.returncode == 1 and "bad.json: body is not valid JSON" in bad.stderr
    unknown = _run(tmp_path, "replay", "--source", "carrier-pigeon", "bad.json")
    assert unknown.returncode == 2 and "--source" in unknown.stderr
    assert "Traceback" not in missing.stderr + bad.stderr + unknown.stderr


def test_act_on_a_firehose_file_joins_a_cut_trace_and_keeps_no_head_held(
    tmp_path: Path,
) -> None:
    from tests.integration.sources2.test_held_traces_firehose import (
        PY_HEAD,
        PY_TAIL,
        T0,
        delivery,
        log_events,
        message,
    )

    head = log_events(PY_HEAD, T0)
    tail = log_events(PY_TAIL, T0 + len(PY_HEAD))
    both = delivery("r-1", message("web/1", head), message("web/1", tail))
    (tmp_path / "cut.json").write_bytes(both)
    other = log_events(PY_HEAD, T0 + 60_000)  # a head whose tail the file does not hold
    (tmp_path / "head.json").write_bytes(delivery("r-2", message("web/2", other)))
    for name in ("cut.json", "head.json"):
        result = _run(tmp_path, "replay", "--source", "firehose", "--act", name)
        assert result.returncode == 0, result.stderr
    groups = json.loads(_run(tmp_path, "groups", "list", "--json").stdout)
    titles = sorted((g["title"], g["count"]) for g in groups)
    assert len(titles) == 2
    assert ("ZeroDivisionError: division by zero", 1) in titles
