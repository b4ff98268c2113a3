"""Scans of the pull sources (CloudWatch): progress and the one-scan-at-a-time lock.

Revision ID: 0002_sources2
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import autotriage.store.scans
import autotriage.store.tables

revision = "0002_sources2"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scans",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("trigger", sa.String(length=32), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Integer(), nullable=True),
        sa.Column("owner", sa.String(length=255), nullable=False),
        sa.Column("started_at", autotriage.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "heartbeat_at", autotriage.store.tables.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("finished_at", autotriage.store.tables.UTCDateTime(timezone=True), nullable=True),
        sa.Column("progress", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("active", name="uq_scans_active"),
    )


def downgrade() -> None:
    op.drop_table("scans")
