"""Ingest keys: the DSN public keys (and OTLP bearer keys) that may post events.

A key is 32 random hex characters shown once by ``autotriage keys create``; only its
SHA-256 is stored (keys are random, so a plain hash is as strong as a slow one), with
an 8-character prefix so ``keys list`` and ``keys revoke`` can name it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from autotriage.store.tables import Base, BigId

PREFIX_LENGTH = 8


class IngestKey(Base):
    __tablename__ = "ingest_keys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16), index=True)
    project_id: Mapped[int] = mapped_column(Integer, index=True)
    label: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """A key as callers see it (never the secret itself)."""

    id: int
    prefix: str
    project_id: int
    label: str | None
    created_at: datetime
    revoked_at: datetime | None


def hash_key(key: str) -> str:
    """The stored form of `key`."""
    return hashlib.sha256(key.strip().lower().encode()).hexdigest()


def _info(row: IngestKey) -> KeyInfo:
    return KeyInfo(row.id, row.prefix, row.project_id, row.label, row.created_at, row.revoked_at)


def create_key(
    session: Session, project_id: int, label: str | None, now: datetime
) -> tuple[str, KeyInfo]:
    """Create a key for `project_id`; return the secret (shown once) and its record."""
    key = secrets.token_hex(16)
    row = IngestKey(
        key_hash=hash_key(key),
        prefix=key[:PREFIX_LENGTH],
        project_id=project_id,
        label=label,
        created_at=now,
        revoked_at=None,
    )
    session.add(row)
    session.flush()
    return key, _info(row)


def list_keys(session: Session) -> list[KeyInfo]:
    """Every key, oldest first, revoked ones included."""
    return [_info(row) for row in session.scalars(select(IngestKey).order_by(IngestKey.id))]


def revoke_key(session: Session, prefix: str, now: datetime) -> list[KeyInfo]:
    """Revoke the one active key whose prefix starts with `prefix` (ValueError if several)."""
    rows = session.scalars(
        select(IngestKey).where(
            IngestKey.prefix.startswith(prefix.lower()), IngestKey.revoked_at.is_(None)
        )
    ).all()
    if len(rows) > 1:
        raise ValueError(f"{len(rows)} active keys start with {prefix!r}; give more of it")
    for row in rows:
        row.revoked_at = now
    return [_info(row) for row in rows]


def find_active(session: Session, key: str) -> KeyInfo | None:
    """The active key whose secret is `key`, if any."""
    row = session.scalars(
        select(IngestKey).where(IngestKey.key_hash == hash_key(key), IngestKey.revoked_at.is_(None))
    ).first()
    return _info(row) if row is not None else None
