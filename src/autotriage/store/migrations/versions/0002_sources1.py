"""ingest keys (DSN public keys and OTLP bearer keys), stored hashed

Revision ID: 0002_sources1
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import autotriage.store.ingest_keys
import autotriage.store.tables

revision = "0002_sources1"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ingest_keys",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=255), nullable=True),
        sa.Column("created_at", autotriage.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", autotriage.store.tables.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key_hash"),
    )
    op.create_index("ix_ingest_keys_prefix", "ingest_keys", ["prefix"])
    op.create_index("ix_ingest_keys_project_id", "ingest_keys", ["project_id"])


def downgrade() -> None:
    op.drop_index("ix_ingest_keys_project_id", table_name="ingest_keys")
    op.drop_index("ix_ingest_keys_prefix", table_name="ingest_keys")
    op.drop_table("ingest_keys")
