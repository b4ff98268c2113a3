"""console: distinct users per group (salted hashes, capped) and the group's user count

Revision ID: 0004_console_users
Revises: 0003_console
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_console_users"
down_revision = "0003_console"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column("groups", sa.Column("users", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "group_users",
        sa.Column("group_id", _ID, nullable=False),
        sa.Column("user_hash", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("group_id", "user_hash"),
    )


def downgrade() -> None:
    op.drop_table("group_users")
    with op.batch_alter_table("groups") as batch:
        batch.drop_column("users")
