"""fix attempts: each attempt's outcome, patch, evidence and pull request

Revision ID: 0002_fixpr
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import autotriage.store.tables

revision = "0002_fixpr"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fix_attempts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("action_key", sa.String(length=255), nullable=False),
        sa.Column("group_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("fixer", sa.String(length=64), nullable=True),
        sa.Column("patch", sa.Text(), nullable=True),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=True),
        sa.Column("gates", sa.JSON(), nullable=False),
        sa.Column("failed_gate", sa.String(length=64), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("commit", sa.String(length=64), nullable=True),
        sa.Column("branch", sa.String(length=255), nullable=True),
        sa.Column("pr_number", sa.Integer(), nullable=True),
        sa.Column("pr_url", sa.String(length=1000), nullable=True),
        sa.Column("created_at", autotriage.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("action_key"),
    )
    op.create_index("ix_fix_attempts_group_id", "fix_attempts", ["group_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_fix_attempts_group_id", table_name="fix_attempts")
    op.drop_table("fix_attempts")
