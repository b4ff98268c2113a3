"""@sentry/node (npm, Node 20) reports a real exception to a running autotriage server."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from autotriage.models import utcnow
from autotriage.store import Store
from autotriage.store.ingest_keys import create_key
from autotriage.store.tables import Event
from tests.support import LiveServer

HERE = Path(__file__).resolve().parent

# Needs Node.js and npm on PATH; it runs in the default suite (deselect: -m "not node").
pytestmark = [pytest.mark.node, pytest.mark.slow]


def _node_modules() -> None:
    """Install the locked @sentry/node once (CI starts from a fresh checkout)."""
    if not (HERE / "node_modules" / "@sentry" / "node").is_dir():
        npm = shutil.which("npm")
        assert npm, "npm is required for this test (Node 20)"
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=HERE, check=True, timeout=600)


def test_sentry_node_exception_is_stored(tmp_path: Path) -> None:
    _node_modules()
    node = shutil.which("node")
    assert node, "node is required for this test"
    url = f"sqlite:///{tmp_path / 'autotriage.db'}"
    store = Store(url)
    store.migrate()
    with store.transaction() as session:
        key, _ = create_key(session, 7, "node app", utcnow())
    with LiveServer({"DATABASE_URL": url, "AUTOTRIAGE_WORKER": "false"}, cwd=tmp_path) as server:
        done = subprocess.run(
            [node, str(HERE / "app.js"), f"http://{key}@127.0.0.1:{server.port}/7"],
            cwd=HERE,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with store.reading() as session:
                rows = [row.payload for row in session.scalars(select(Event))]
            if rows:
                break
            time.sleep(0.2)
    store.dispose()
    assert len(rows) == 1
    event = rows[0]
    exc = event["exceptions"][-1]
    assert exc["type"] == "TypeError"
    assert "length" in exc["value"]
    crash = exc["frames"][-1]
    assert crash["function"] == "parseOrder"
    assert crash["filename"].endswith("app.js")
    assert crash["in_app"] is True
    assert crash["lineno"] == 12
    assert (event["release"], event["environment"]) == ("web@2.0.0", "e2e")
    assert event["contexts"]["sdk"]["name"] == "sentry.javascript.node"
