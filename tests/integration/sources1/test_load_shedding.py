"""Overload sheds load: past INGEST_MAX_BACKLOG a live server answers 429 with
``Retry-After`` and ``X-Sentry-Rate-Limits``; the official sentry-sdk backs off on it, and
every event acknowledged before is stored."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
from sqlalchemy import func, select

from autotriage.models import utcnow
from autotriage.store import Store
from autotriage.store.ingest_keys import create_key
from autotriage.store.tables import Event
from tests.support import LiveServer

CAPTURES = 12
APP = textwrap.dedent(
    """
    import sys, time
    import sentry_sdk

    sentry_sdk.init(dsn=sys.argv[1], send_client_reports=False, default_integrations=False)
    for n in range(int(sys.argv[2])):
        try:
            raise KeyError(f"sku-{n}")
        except KeyError:
            sentry_sdk.capture_exception()
        sentry_sdk.flush(10)
        time.sleep(0.3)  # an app's errors come spread out, not in one burst
    """
)
ENVELOPE = "/api/{project_id:int}/envelope/"


def _metric(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def _stored(store: Store) -> int:
    with store.reading() as session:
        return int(session.scalar(select(func.count()).select_from(Event)) or 0)


def test_sentry_sdk_backs_off_when_the_backlog_sheds_load(
    database_url: str, tmp_path: Path
) -> None:
    store = Store(database_url)
    store.migrate()
    with store.transaction() as session:
        key, _ = create_key(session, 7, "shop", utcnow())
    env = {
        "DATABASE_URL": database_url,
        "AUTOTRIAGE_WORKER": "false",  # nothing drains the inbox: the backlog only grows
        "INGEST_MAX_BACKLOG": "3",
        "INGEST_SHED_RETRY_SECONDS": "120",
    }
    with LiveServer(env, cwd=tmp_path) as server:
        script = tmp_path / "shop.py"
        script.write_text(APP)
        dsn = f"http://{key}@127.0.0.1:{server.port}/7"
        subprocess.run([sys.executable, str(script), dsn, str(CAPTURES)], check=True, timeout=120)
        metrics = httpx.get(f"{server.url}/metrics").text
        probe = httpx.post(
            f"{server.url}/api/7/envelope/",
            content=b'{}\n{"type":"event"}\n{"message":"one more"}\n',
            headers={"x-sentry-auth": f"Sentry sentry_key={key}"},
        )
    requests = _metric(metrics, "autotriage_ingest_request_duration_seconds_count", route=ENVELOPE)
    limited = _metric(
        metrics, "autotriage_events_received_total", source="sentry", outcome="rate_limited"
    )
    stored = _stored(store)
    store.dispose()
    # The server answers 429 with the reason and both headers, in Sentry's format.
    assert probe.status_code == 429
    assert probe.headers["retry-after"] == "120"
    assert re.fullmatch(r"120::organization:backlog", probe.headers["x-sentry-rate-limits"])
    assert "INGEST_MAX_BACKLOG" in probe.json()["error"]["message"]
    # The SDK sent until its first 429 and then held everything back (it captured 12).
    assert limited == 1, metrics
    assert 3 <= stored < CAPTURES
    assert requests == stored + 1
