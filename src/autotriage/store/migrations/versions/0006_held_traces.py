"""held traces: CloudWatch records waiting for their tail, one per log stream

Revision ID: 0006_held_traces
Revises: 0005_console_assignee
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_held_traces"
down_revision = "0005_console_assignee"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "held_traces",
        sa.Column("stream_key", sa.String(length=64), nullable=False),
        sa.Column("event_id", _ID, nullable=False),
        sa.Column("log_group", sa.String(length=512), nullable=False),
        sa.Column("log_stream", sa.String(length=512), nullable=False),
        sa.Column("first_event_id", sa.String(length=255), nullable=False),
        sa.Column("first_ms", sa.BigInteger(), nullable=False),
        sa.Column("last_ms", sa.BigInteger(), nullable=False),
        sa.Column("held_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("stream_key"),
        sa.UniqueConstraint("event_id"),
    )
    op.create_index("ix_held_traces_log_group", "held_traces", ["log_group"])
    op.create_index("ix_held_traces_held_until", "held_traces", ["held_until"])


def downgrade() -> None:
    op.drop_table("held_traces")
