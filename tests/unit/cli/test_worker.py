"""`autotriage worker`: processing apart from the server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

TRACE = "Traceback (most recent call last):\n  File \"app/x.py\", line 3, in f\nKeyError: 'sku'\n"


def _run(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{cwd / 'db.sqlite'}", **env}
    return subprocess.run(
        [sys.executable, "-m", "autotriage", *args],
        cwd=cwd,
        env=base,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_worker_once_processes_what_the_server_accepted(tmp_path: Path) -> None:
    from autotriage.config import load_settings
    from autotriage.intake import Intake
    from autotriage.store import Store
    from autotriage.understanding.text import parse_text

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    store = Store(url)
    store.migrate()
    Intake(store).accept("text", parse_text(TRACE))
    store.dispose()
    assert load_settings(env_file=None, DATABASE_URL=url).database_url == url
    before = json.loads(_run(tmp_path, "groups", "list", "--json").stdout)
    assert before == []
    result = _run(tmp_path, "worker", "--once")
    assert result.returncode == 0, result.stderr
    after = json.loads(_run(tmp_path, "groups", "list", "--json").stdout)
    assert [g["count"] for g in after] == [1]
    assert after[0]["links"][0]["tracker"] == "local"
