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


def _accepted(tmp_path: Path, trace: str) -> str:
    """A store at `tmp_path` holding `trace` as the server would have accepted it; its URL."""
    from autotriage.intake import Intake
    from autotriage.store import Store
    from autotriage.understanding.text import parse_text

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    store = Store(url)
    store.migrate()
    Intake(store).accept("text", parse_text(trace))
    store.dispose()
    return url


def test_worker_once_processes_what_the_server_accepted(tmp_path: Path) -> None:
    from autotriage.config import load_settings

    url = _accepted(tmp_path, TRACE)
    assert load_settings(env_file=None, DATABASE_URL=url).database_url == url
    before = json.loads(_run(tmp_path, "groups", "list", "--json").stdout)
    assert before == []
    result = _run(tmp_path, "worker", "--once")
    assert result.returncode == 0, result.stderr
    after = json.loads(_run(tmp_path, "groups", "list", "--json").stdout)
    assert [g["count"] for g in after] == [1]
    assert after[0]["links"][0]["tracker"] == "local"


IP_TRACE = (
    'Traceback (most recent call last):\n  File "app/db.py", line 9, in connect\n'
    "ConnectionError: refused by 10.20.30.40 for ann@example.com\n"
)


def _tracker_bodies(url: str) -> list[str]:
    from sqlalchemy import select

    from autotriage.store import Store
    from autotriage.store.tables import TrackerItem

    store = Store(url)
    with store.reading() as session:
        bodies = [f"{i.title}\n{i.body}" for i in session.scalars(select(TrackerItem))]
    store.dispose()
    return bodies


def test_worker_follows_the_scrub_settings(tmp_path: Path) -> None:
    # Before build_services, only the web app applied SCRUB_*: the worker leaked IPs.
    url = _accepted(tmp_path, IP_TRACE)
    result = _run(tmp_path, "worker", "--once", SCRUB_IPS="true", SCRUB_EMAILS="false")
    assert result.returncode == 0, result.stderr
    [body] = _tracker_bodies(url)
    assert "10.20.30.40" not in body
    assert "[REDACTED:ip]" in body
    assert "ann@example.com" in body  # SCRUB_EMAILS=false keeps addresses
