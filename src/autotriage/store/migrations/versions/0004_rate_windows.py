"""rate windows: per-key and per-address counters that server replicas share

Revision ID: 0004_rate_windows
Revises: 0003_console
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_rate_windows"
down_revision = "0003_console"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_windows",
        sa.Column("scope", sa.String(length=8), nullable=False),
        sa.Column("subject", sa.String(length=128), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("used", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "subject", "window_start"),
    )


def downgrade() -> None:
    op.drop_table("rate_windows")
