"""Distinct users per group, on SQLite and PostgreSQL: exact up to the cap, hashed, bounded."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from alembic.config import Config
from sqlalchemy import func, select, text

from autotriage.config import load_settings
from autotriage.intake import Intake
from autotriage.models import ErrorEvent
from autotriage.pipeline import process_pending
from autotriage.store import Store
from autotriage.store.db import MIGRATIONS
from autotriage.store.groups import EXACT_USERS, GroupUser, count_user, user_hash, users_text
from autotriage.store.tables import Group


def sentry_event(user: dict[str, str]) -> ErrorEvent:
    return ErrorEvent(source="sentry", message="KeyError: 'sku'", contexts={"user": user})


def test_the_pipeline_counts_each_user_once(store: Store, database_url: str) -> None:
    settings = load_settings(env_file=None, DATABASE_URL=database_url)
    users = [{"id": "1"}, {"id": "1", "email": "a@example.com"}, {"email": "b@example.com"}, {}]
    Intake(store).accept("sentry", [sentry_event(u) for u in users])
    # a second batch: the same users again, and one new
    Intake(store).accept("sentry", [sentry_event(u) for u in [{"id": "1"}, {"id": "2"}]])
    assert process_pending(store, settings.pipeline, limit=4) == 4
    assert process_pending(store, settings.pipeline) == 2
    with store.reading() as session:
        group = session.scalars(select(Group)).one()
        assert group.count == 6
        assert group.users == 3  # id:1, email:b@..., id:2; the event naming nobody is not one
        hashes = set(session.scalars(select(GroupUser.user_hash)))
    assert user_hash(group.fingerprint, "id:1") in hashes
    # only salted hashes are stored, never the identifier
    assert not any("example.com" in h or h == "1" for h in hashes)
    assert user_hash(group.fingerprint, "id:1") != user_hash("other" * 8, "id:1")


def test_past_the_cap_a_storm_of_users_adds_nothing(store: Store, database_url: str) -> None:
    settings = load_settings(env_file=None, DATABASE_URL=database_url)
    Intake(store).accept("sentry", [sentry_event({"id": "first"})])
    process_pending(store, settings.pipeline)
    with store.transaction() as session:
        group = session.scalars(select(Group)).one()
        for n in range(EXACT_USERS + 50):
            count_user(session, group, f"id:{n}")
    with store.reading() as session:
        group = session.scalars(select(Group)).one()
        rows = session.scalar(select(func.count()).select_from(GroupUser))
    assert group.users == EXACT_USERS
    assert rows == EXACT_USERS
    assert users_text(group.users) == "1,000+"
    assert (users_text(0), users_text(999)) == ("—", "999")


def test_upgrading_a_database_with_groups_counts_them_as_unknown(database_url: str) -> None:
    store = Store(database_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0003_console")
        connection.execute(
            text(
                "INSERT INTO groups (fingerprint, fingerprint_version, title, level, status, count,"
                " first_seen, last_seen, sources, regressions, updated_at) VALUES ('f', 1, 't',"
                " 'error', 'open', 5, :now, :now, '[]', 0, :now)"
            ),
            {"now": datetime.now(UTC)},
        )
    store.migrate()
    try:
        with store.reading() as session:
            group = session.scalars(select(Group)).one()
        assert (group.count, group.users, users_text(group.users)) == (5, 0, "—")
    finally:
        store.dispose()
