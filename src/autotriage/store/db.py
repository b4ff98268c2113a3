"""Engine, sessions and migrations, and the dialect-aware ``INSERT ... ON CONFLICT DO NOTHING``.

SQLite (WAL, one writer at a time, a generous busy timeout) is the embedded default;
PostgreSQL is used when ``DATABASE_URL`` names it. Alembic migrations run on start.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.dml import Insert

MIGRATIONS = Path(__file__).with_name("migrations")


def _sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    # isolation_level=None hands transaction control to the BEGIN emitted below, so a
    # write transaction takes the lock up front instead of failing to upgrade later.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # NORMAL, not FULL: in WAL mode a commit is in the WAL file (write(2) done) before
    # COMMIT returns, so a 2xx survives the server being killed (tests/e2e/durability);
    # only an OS crash or power cut can lose the commits made since the WAL was last
    # synced (at each checkpoint). FULL would fsync every commit: docs/sources.md
    # ("The edge and the commit") has what that cost.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    # Writers take the lock at BEGIN; read-only sessions stay deferred so WAL readers
    # never wait for a writer.
    readonly = conn.get_execution_options().get("autotriage_readonly", False)
    begin = "BEGIN" if readonly else "BEGIN IMMEDIATE"
    if listens_to_statements(conn):
        conn.exec_driver_sql(begin)
    else:
        # Straight to the driver: every write pays for this statement, and SQLAlchemy's
        # execution path costs several times what SQLite does to run it.
        conn.connection.driver_connection.execute(begin)


def listens_to_statements(conn: Connection) -> bool:
    """Whether anything listens to `conn`'s statements (``before_cursor_execute`` or
    ``after_cursor_execute``: an instrumentation, a test's fault): a statement sent to
    the driver itself would pass them by."""
    dispatch = conn.dispatch
    return bool(dispatch.before_cursor_execute or dispatch.after_cursor_execute)


class SerializedJSON(str):
    """JSON text made ahead of the write, stored as it is in a JSON column."""

    __slots__ = ()


def json_dumps(value: Any) -> str:
    """JSON for the JSON columns: orjson, or the standard library for what orjson refuses."""
    if isinstance(value, SerializedJSON):
        return value
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:  # integers past 64 bits, and the like
        return json.dumps(value)


def json_loads(text: str | bytes) -> Any:
    """Read a JSON column; rows written before orjson may hold NaN, which only json reads."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def _without_nul(value: Any) -> Any:
    if isinstance(value, str) and "\x00" in value:
        return value.replace("\x00", "\ufffd")
    return value


def _postgres_text(
    conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> tuple[str, Any]:
    """PostgreSQL text holds no NUL (a DataError that would fail the whole write): every
    string parameter reaches it with NUL replaced by U+FFFD, as the inbox title already
    was. JSON columns are unaffected: their text escapes NUL as ``\\u0000``."""
    del conn, cursor, context
    if executemany and isinstance(parameters, list):
        return statement, [_row_without_nul(row) for row in parameters]
    return statement, _row_without_nul(parameters)


def _has_nul(values: Any) -> bool:
    return any(isinstance(value, str) and "\x00" in value for value in values)


def _row_without_nul(row: Any) -> Any:
    # Rebuilt only when it holds a NUL: this runs on every statement.
    if isinstance(row, dict):
        if not _has_nul(row.values()):
            return row
        return {name: _without_nul(value) for name, value in row.items()}
    if isinstance(row, tuple | list) and _has_nul(row):
        return type(row)(_without_nul(value) for value in row)
    return row


def make_engine(url: str) -> Engine:
    """Create the engine for `url`, creating the SQLite file's folder when needed."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            json_serializer=json_dumps,
            json_deserializer=json_loads,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    engine = create_engine(
        url,
        pool_size=10,
        max_overflow=20,
        pool_pre_ping=True,
        json_serializer=json_dumps,
        json_deserializer=json_loads,
    )
    event.listen(engine, "before_cursor_execute", _postgres_text, retval=True)
    return engine


_CONFLICT_STATES = frozenset({"23505", "40001", "40P01"})
"""PostgreSQL's unique violation, serialization failure and deadlock: a race, worth a retry."""


def is_conflict(exc: DBAPIError) -> bool:
    """Whether `exc` is a race with another worker (retry) rather than a poisoned row."""
    state = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    if state is not None:
        return str(state) in _CONFLICT_STATES
    # SQLite: a unique constraint another writer just took, or the database busy.
    message = str(exc.orig)
    return (isinstance(exc, IntegrityError) and "UNIQUE" in message) or "locked" in message


def migrate(engine: Engine) -> None:
    """Bring the database schema up to the newest migration."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")  # feature branches add migrations beside each other


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory whose sessions keep loaded objects usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


class Store:
    """The database handle the rest of the code passes around."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions = session_factory(self.engine)
        self.read_sessions = session_factory(
            self.engine.execution_options(autotriage_readonly=True)
        )
        # Set by the job engine (PostgreSQL): defers "run action N at T" inside the
        # transaction that records action N, so the job and the row commit together.
        self.defer_action: Callable[[Session, int, datetime], None] | None = None

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    def migrate(self) -> None:
        """Apply pending migrations."""
        migrate(self.engine)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session inside one write transaction, committed on success, else rolled back."""
        with self.sessions() as session, session.begin():
            session.info["defer_action"] = self.defer_action
            yield session

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """A connection inside one write transaction, committed on success, else rolled
        back: for Core statements alone (the inbox's group commit), without a session's
        per-transaction cost."""
        with self.engine.begin() as connection:
            yield connection

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads only; on SQLite it never blocks or is blocked by a writer."""
        with self.read_sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


Executor = Session | Connection
"""Where statements run: an ORM session, or a Core connection (`Store.writing`)."""


def dialect_of(executor: Executor) -> str:
    """``sqlite`` or ``postgresql``: the database `executor` talks to."""
    if isinstance(executor, Connection):
        return executor.dialect.name
    return executor.get_bind().dialect.name


def insert_ignore(session: Executor, table: Table, **values: Any) -> int | None:
    """Insert a row unless it breaks a unique constraint; return its id (1 for a table
    without an ``id``), or None if it existed."""
    dialect = dialect_of(session)
    stmt: Insert
    if dialect == "postgresql":
        stmt = postgresql.insert(table).values(**values).on_conflict_do_nothing()
    else:
        stmt = sqlite.insert(table).values(**values).on_conflict_do_nothing()
    # RETURNING says whether a row went in: through the ORM session, psycopg's rowcount
    # for ``ON CONFLICT DO NOTHING`` is -1 either way.
    key = table.c.id if "id" in table.c else next(iter(table.primary_key.columns))
    row = session.execute(stmt.returning(key)).first()
    if row is None:
        return None
    return int(row[0]) if key.name == "id" else 1
