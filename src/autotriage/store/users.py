"""Distinct users per group, counted exactly up to a cap by the pipeline.

``group_users`` holds one salted hash per group and user, never the identifier itself
(the event, scrubbed at intake, is the only place that keeps it). Hashes are salted with
the group's fingerprint, so the same user cannot be followed from one group to another.
Past `EXACT_USERS` distinct users a group stops adding rows: the console shows
``1,000+``, and a storm of new users costs neither rows nor queries beyond the cap.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from autotriage.store.db import insert_ignore
from autotriage.store.tables import Base, BigId, Group

EXACT_USERS = 1000


class GroupUser(Base):
    __tablename__ = "group_users"

    group_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    user_hash: Mapped[str] = mapped_column(String(32), primary_key=True)


def user_hash(fingerprint: str, identity: str) -> str:
    """The stored form of `identity` within the group of `fingerprint`."""
    return hashlib.sha256(f"{fingerprint}\0{identity}".encode()).hexdigest()[:32]


def count_user(session: Session, group: Group, identity: str | None) -> None:
    """Count `identity` among `group`'s users (the caller holds the group's row)."""
    if identity is None or group.users >= EXACT_USERS:
        return
    added = insert_ignore(
        session,
        GroupUser.__table__,  # type: ignore[arg-type]
        group_id=group.id,
        user_hash=user_hash(group.fingerprint, identity),
    )
    if added:
        group.users += 1


def users_text(users: int) -> str:
    """How many users a group affected, for people: ``—`` (unknown), ``12``, ``1,000+``."""
    if users <= 0:
        return "—"
    return f"{EXACT_USERS:,}+" if users >= EXACT_USERS else f"{users:,}"
