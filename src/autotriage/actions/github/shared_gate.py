"""The request gate's state shared by server replicas through PostgreSQL.

GitHub's limits are per credential, not per process: two replicas each pacing their
own mutations would together send two a second, and a replica that did not see a
secondary-limit answer would keep sending into the pause. With PostgreSQL, replicas
therefore share the pause deadline and the time of the last mutation in the
``cursors`` row ``github:gate``, and take turns for mutations under an advisory lock.
SQLite installations run one server, so the in-process gate is enough there.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url

ROW = "github:gate"
LOCK_KEY = 0x6175746F  # "auto": one advisory lock for GitHub mutations


class SharedGateState:
    """Pause deadline and last mutation time (epoch seconds) shared across processes."""

    def __init__(self, database_url: str) -> None:
        url = make_url(database_url).set(drivername="postgresql+psycopg")
        # A small pool of its own, kept open: a pause another replica must see is written
        # (and every request reads it) in one round trip. A new connection per call cost
        # a PostgreSQL backend's start-up each time, and on a loaded host that let a
        # replica read "no pause" and send for a second or more after the other had been
        # refused -- into GitHub's pause.
        self.engine = create_engine(url, pool_size=2, max_overflow=4, pool_pre_ping=True)
        # handlers have no close hook: the pool closes its connections when the client goes
        weakref.finalize(self, self.engine.dispose)

    def _read(self, conn: Connection) -> dict[str, Any]:
        row = conn.execute(text("SELECT value FROM cursors WHERE name = :n"), {"n": ROW}).first()
        return dict(row[0]) if row is not None and isinstance(row[0], dict) else {}

    def _write(self, conn: Connection, value: dict[str, Any]) -> None:
        conn.execute(
            text(
                "INSERT INTO cursors (name, value, updated_at) "
                "VALUES (:n, CAST(:v AS JSON), now()) "
                "ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value, updated_at = now()"
            ),
            {"n": ROW, "v": _json(value)},
        )

    def paused_for(self) -> float:
        """Seconds left of a pause any replica was asked to observe."""
        with self.engine.connect() as conn:
            return float(self._read(conn).get("paused_until", 0.0)) - time.time()

    def pause(self, seconds: float) -> None:
        """Extend the shared pause to `seconds` from now."""
        with self.engine.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY + 1})
            value = self._read(conn)
            until = time.time() + seconds
            if until > float(value.get("paused_until", 0.0)):
                value["paused_until"] = until
                self._write(conn, value)

    @contextmanager
    def mutation_turn(self) -> Iterator[SharedTurn]:
        """Hold the replicas' mutation lock; yields the shared last-mutation time."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": LOCK_KEY})
            conn.commit()
            try:
                with conn.begin():
                    last = float(self._read(conn).get("last_mutation", 0.0))
                turn = SharedTurn(last)
                try:
                    yield turn
                finally:
                    # recorded even when the request failed (a 422, a timeout): it was sent
                    if turn.finished is not None:
                        self._record(conn, turn.finished)
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
                conn.commit()

    def _record(self, conn: Connection, finished: float) -> None:
        with conn.begin():
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY + 1})
            value = self._read(conn)
            value["last_mutation"] = finished
            self._write(conn, value)


class SharedTurn:
    """One replica's turn to mutate: when the previous mutation ended, and when this one did."""

    def __init__(self, last: float) -> None:
        self.last = last
        self.finished: float | None = None


def _json(value: dict[str, Any]) -> str:
    import json

    return json.dumps(value)
