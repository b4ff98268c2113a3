"""console: who a group is assigned to ("assign to me")

Revision ID: 0005_console_assignee
Revises: 0004_console_users
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_console_assignee"
down_revision = "0004_console_users"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("groups", sa.Column("assignee", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("groups") as batch:
        batch.drop_column("assignee")
