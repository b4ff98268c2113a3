"""procrastinate's schema, on PostgreSQL only: the job engine's tables, types and functions.

The SQL is the one shipped by the pinned procrastinate (constraints.txt), applied here
so that `store.migrate()` -- run by `serve` and `worker` on start -- is the only schema
step a deployment has. A procrastinate upgrade that changes its schema comes with a new
migration here applying that release's ``procrastinate/sql/migrations`` deltas.
SQLite has no job engine (its one process runs the same task functions in-process).

Revision ID: 0002_jobs
Revises: 0001
"""

from __future__ import annotations

from alembic import op
from procrastinate.schema import SchemaManager

revision = "0002_jobs"
down_revision = "0001"
branch_labels = None
depends_on = None


def _driver_execute(sql: str) -> None:
    # The schema holds PL/pgSQL with literal % signs: run it on the driver connection,
    # with no parameters, so nothing rewrites it.
    raw = op.get_bind().connection.driver_connection
    raw.execute(sql)  # type: ignore[union-attr]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _driver_execute(SchemaManager.get_schema())


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _driver_execute(
        """
        DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers,
            procrastinate_jobs, procrastinate_workers CASCADE;
        DO $$ DECLARE f record; BEGIN
          FOR f IN SELECT oid::regprocedure AS sig FROM pg_proc
                   WHERE proname LIKE 'procrastinate\\_%' LOOP
            EXECUTE 'DROP FUNCTION ' || f.sig || ' CASCADE';
          END LOOP;
        END $$;
        DROP TYPE IF EXISTS procrastinate_job_to_defer_v1, procrastinate_job_event_type,
            procrastinate_job_status CASCADE;
        """
    )
