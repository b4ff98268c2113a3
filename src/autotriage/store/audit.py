"""The audit log: every change an operator made from the console, and who made it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from autotriage.store.tables import Base, BigId


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(64))
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), index=True
    )
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    now: datetime,
    group_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Write one audit entry in the caller's transaction."""
    entry = AuditEntry(
        at=now, actor=actor[:255], action=action, group_id=group_id, detail=detail or {}
    )
    session.add(entry)
    session.flush()
    return entry


def entries(session: Session, group_id: int | None = None, limit: int = 50) -> list[AuditEntry]:
    """The newest audit entries, for one group or all."""
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if group_id is not None:
        stmt = stmt.where(AuditEntry.group_id == group_id)
    return list(session.scalars(stmt))
