"""console: hourly occurrence buckets per group, and the operators' audit log

Revision ID: 0003_console
Revises: 0002_sources2
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import autotriage.store.audit
import autotriage.store.groups
import autotriage.store.tables

revision = "0003_console"
down_revision = "0002_sources2"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = autotriage.store.tables.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "group_hours",
        sa.Column("group_id", _ID, nullable=False),
        sa.Column("hour", _TIME, nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("group_id", "hour"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("at", _TIME, nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("group_id", _ID, nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_log_group_id", "audit_log", ["group_id"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_group_id", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_table("group_hours")
