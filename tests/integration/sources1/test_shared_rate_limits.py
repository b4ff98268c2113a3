"""Per-key and per-address limits hold across replicas: two live servers on one
PostgreSQL database enforce one combined rate."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from autotriage.models import utcnow
from autotriage.store import Store
from autotriage.store.ingest_keys import create_key
from autotriage.store.tables import Event
from tests.support import LiveServer

pytestmark = pytest.mark.postgres
PER_KEY = 7
PER_IP = 9


def _envelope() -> bytes:
    event_id = uuid.uuid4().hex
    item = json.dumps({"event_id": event_id, "message": f"replica test {event_id}"}).encode()
    return b'{}\n{"type":"event","length":%d}\n' % len(item) + item + b"\n"


def _same_minute() -> None:
    """Start early in a wall-clock minute, so the whole test falls in one window."""
    second = time.time() % 60
    if second > 35:
        time.sleep(60 - second + 0.1)


def _post(server: LiveServer, key: str) -> httpx.Response:
    return httpx.post(
        f"{server.url}/api/5/envelope/",
        content=_envelope(),
        headers={"x-sentry-auth": f"Sentry sentry_key={key}"},
        timeout=30,
    )


def _stored(store: Store) -> int:
    with store.reading() as session:
        return int(session.scalar(select(func.count()).select_from(Event)) or 0)


def test_two_replicas_share_the_key_quota_and_the_address_limit(
    postgres_url: str, tmp_path: Path
) -> None:
    store = Store(postgres_url)
    store.migrate()
    with store.transaction() as session:
        key, _ = create_key(session, 5, "replicas", utcnow())
        other, _ = create_key(session, 5, "other app", utcnow())
    env = {
        "DATABASE_URL": postgres_url,
        "AUTOTRIAGE_WORKER": "false",
        "INGEST_EVENTS_PER_MINUTE": str(PER_KEY),
        "INGEST_REQUESTS_PER_MINUTE_PER_IP": str(PER_IP),
    }
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with LiveServer(env, tmp_path / "a") as one, LiveServer(env, tmp_path / "b") as two:
        _same_minute()
        answers = [_post(server, key) for server in (one, two) * PER_KEY]
        # The address has used 14 of its 9 requests by now: the other key is refused too.
        answers += [_post(server, other) for server in (one, two)]
    codes = [answer.status_code for answer in answers]
    limits = [answer.headers.get("x-sentry-rate-limits", "") for answer in answers]
    stored = _stored(store)
    store.dispose()
    keyed = codes[: 2 * PER_KEY]
    # 7 events a minute for the key across both servers, not 7 each.
    assert keyed.count(200) == PER_KEY, codes
    assert keyed[:PER_KEY] == [200] * PER_KEY, codes
    assert set(keyed[PER_KEY : PER_KEY + 2]) == {429}, codes
    assert any(limit.endswith("::key:key_quota") for limit in limits), limits
    # 9 requests a minute from this address across both servers.
    assert codes[PER_IP:] == [429] * (len(codes) - PER_IP), codes
    assert limits[-1].endswith("::organization:ip_rate"), limits
    assert stored == PER_KEY
