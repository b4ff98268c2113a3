"""Scans of the pull sources: one row per scan, with progress, and a lock so two never run.

The lock is the unique ``active`` column: a running scan holds ``active = 1``, a finished
one NULL (NULLs never collide in SQLite or PostgreSQL), so a second insert fails in any
process. A scan whose process died (kill -9) is recognised by its owner's pid, or by a
heartbeat older than `LEASE`, and released.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Boolean, Integer, String, Text, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from autotriage.errors import ScanBusy
from autotriage.models import utcnow
from autotriage.store.db import Store
from autotriage.store.tables import Base, BigId

LEASE = timedelta(minutes=2)


class Scan(Base):
    __tablename__ = "scans"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    status: Mapped[str] = mapped_column(String(16), default="running")
    trigger: Mapped[str] = mapped_column(String(32))
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[int | None] = mapped_column(Integer, unique=True)
    owner: Mapped[str] = mapped_column(String(255))
    started_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    progress: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _owner_dead(owner: str) -> bool:
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _release_stale(store: Store, now: datetime) -> None:
    with store.transaction() as session:
        running = session.scalars(select(Scan).where(Scan.active.is_not(None))).all()
        for scan in running:
            if scan.heartbeat_at < now - LEASE or _owner_dead(scan.owner):
                scan.status, scan.active, scan.finished_at = "abandoned", None, now
                scan.error = "the process running this scan stopped"


def begin_scan(store: Store, trigger: str, *, dry_run: bool = False) -> int:
    """Record a new running scan and return its id, or raise `ScanBusy`."""
    now = utcnow()
    _release_stale(store, now)
    try:
        with store.transaction() as session:
            scan = Scan(
                status="running",
                trigger=trigger,
                dry_run=dry_run,
                active=1,
                owner=_owner(),
                started_at=now,
                heartbeat_at=now,
                progress={},
            )
            session.add(scan)
            session.flush()
            return scan.id
    except IntegrityError:
        with store.reading() as session:
            busy = session.scalars(select(Scan.id).where(Scan.active.is_not(None))).first()
        raise ScanBusy(busy or 0) from None


def heartbeat(store: Store, scan_id: int, progress: dict[str, Any]) -> None:
    """Store a running scan's progress."""
    with store.transaction() as session:
        scan = session.get(Scan, scan_id)
        if scan is not None:
            scan.progress, scan.heartbeat_at = progress, utcnow()


def finish_scan(
    store: Store, scan_id: int, progress: dict[str, Any] | None, error: str | None = None
) -> None:
    """Mark a scan done (or failed with `error`) and release the lock; progress None keeps
    the last heartbeat's."""
    with store.transaction() as session:
        scan = session.get(Scan, scan_id)
        if scan is None:
            return
        now = utcnow()
        scan.status = "failed" if error else "done"
        scan.error = error
        if progress is not None:
            scan.progress = progress
        scan.active, scan.finished_at, scan.heartbeat_at = None, now, now


def scan_dict(scan: Scan) -> dict[str, Any]:
    """A scan as the API and the slash command show it."""
    return {
        "id": scan.id,
        "status": scan.status,
        "trigger": scan.trigger,
        "dry_run": scan.dry_run,
        "started_at": scan.started_at.isoformat(),
        "finished_at": scan.finished_at.isoformat() if scan.finished_at else None,
        "progress": scan.progress,
        "error": scan.error,
    }


def get_scan(store: Store, scan_id: int) -> dict[str, Any] | None:
    """One scan, or None."""
    with store.reading() as session:
        scan = session.get(Scan, scan_id)
        return scan_dict(scan) if scan is not None else None


def recent_scans(store: Store, limit: int = 5) -> list[dict[str, Any]]:
    """The latest scans, newest first."""
    with store.reading() as session:
        rows = session.scalars(select(Scan).order_by(Scan.id.desc()).limit(limit)).all()
        return [scan_dict(s) for s in rows]
