"""Valid events whose release, service or environment pass the group's 255-character
columns are grouped (PostgreSQL enforces the length; SQLite does not)."""

from __future__ import annotations

from sqlalchemy import select

from autotriage.config import load_settings
from autotriage.intake import Intake
from autotriage.models import ErrorEvent, ExceptionInfo
from autotriage.pipeline import process_pending
from autotriage.store import Store
from autotriage.store.tables import Event, Group


def _event(release: str) -> ErrorEvent:
    return ErrorEvent(
        source="text",
        message="long names",
        release=release,
        service="svc-" + "s" * 300,
        environment="env-" + "e" * 300,
        exceptions=[ExceptionInfo(type="LongNameError", value="long names")],
    )


def test_a_300_character_release_service_and_environment_are_grouped(store: Store) -> None:
    settings = load_settings(env_file=None, DATABASE_URL=store.url)
    first, second = "1." + "9" * 300, "2." + "9" * 300
    Intake(store).accept("text", [_event(first)])
    process_pending(store, settings.pipeline)
    Intake(store).accept("text", [_event(second)])  # and a later one updates the group
    process_pending(store, settings.pipeline)
    with store.reading() as session:
        assert [(e.status, e.error) for e in session.scalars(select(Event))] == [
            ("done", None),
            ("done", None),
        ]
        group = session.scalars(select(Group)).one()
        assert group.count == 2
        assert group.last_release == second[:255]
        assert group.service is not None and len(group.service) == 255
        assert group.environment is not None and group.environment.startswith("env-e")
