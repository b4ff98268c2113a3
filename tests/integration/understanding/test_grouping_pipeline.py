"""Grouping through the real pipeline and store: versions, rules and in-app settings."""

from __future__ import annotations

import json

from sqlalchemy import select

from autotriage.config import load_settings
from autotriage.intake import Intake
from autotriage.models import ErrorEvent, ExceptionInfo, Frame, utcnow
from autotriage.pipeline import process_pending
from autotriage.store import Store
from autotriage.store.groups import create_group
from autotriage.store.tables import Event, Group, GroupHash
from autotriage.understanding.fingerprint import (
    FINGERPRINT_VERSION,
    compute_fingerprint,
    legacy_hashes,
)
from autotriage.understanding.text import parse_text
from tests.support import fixture_path


def _event(type_: str = "ConnectionError", function: str = "charge") -> ErrorEvent:
    frames = [
        Frame(filename="lib/http.py", function="send", in_app=False),
        Frame(filename="app/billing.py", module="app.billing", function=function, in_app=True),
    ]
    return ErrorEvent(
        source="sentry", exceptions=[ExceptionInfo(type=type_, value="x", frames=frames)]
    )


def _groups(store: Store) -> list[Group]:
    with store.reading() as session:
        return list(session.scalars(select(Group).order_by(Group.id)))


def test_text_traces_group_by_bug_not_by_data(store: Store) -> None:
    settings = load_settings(env_file=None, DATABASE_URL=store.url)
    trace = fixture_path("traces", "java", "orders.txt").read_text()
    variants = [trace.replace("A-1001", f"B-{n}").replace("twelve", f"x{n}") for n in range(5)]
    other = fixture_path("traces", "java", "npe.txt").read_text()
    intake = Intake(store)
    for text in [*variants, other]:
        intake.accept("text", parse_text(text))
    assert process_pending(store, settings.pipeline) == 6
    groups = _groups(store)
    assert [g.count for g in groups] == [5, 1]
    assert all(g.fingerprint_version == FINGERPRINT_VERSION for g in groups)
    assert groups[0].title.startswith("java.lang.IllegalStateException: order B-0")


def test_a_group_made_by_version_1_keeps_its_events(store: Store) -> None:
    settings = load_settings(env_file=None, DATABASE_URL=store.url)
    event = _event()
    (old_hash,) = legacy_hashes(event)
    with store.transaction() as session:
        create_group(session, event, old_hash, [old_hash], 1, utcnow())
    Intake(store).accept("sentry", [event])
    assert process_pending(store, settings.pipeline) == 1
    (group,) = _groups(store)
    assert group.fingerprint_version == 1
    assert group.count == 1
    with store.reading() as session:
        hashes = set(session.scalars(select(GroupHash.hash).where(GroupHash.group_id == group.id)))
    # The group now owns the new version's hashes too, so the next lookup is direct.
    assert set(compute_fingerprint(event).hashes) <= hashes


def test_a_group_made_by_version_2_keeps_its_events(store: Store) -> None:
    settings = load_settings(env_file=None, DATABASE_URL=store.url)
    event = _event().model_copy(
        update={"exceptions": [], "message": "cannot read /etc/app/a.conf (1.2 KB)"}
    )
    fingerprint = compute_fingerprint(event)
    old_hash = fingerprint.legacy[0]  # version 2's: its template kept the path and size
    assert old_hash not in fingerprint.hashes
    with store.transaction() as session:
        create_group(session, event, old_hash, [old_hash], 2, utcnow())
    Intake(store).accept("sentry", [event])
    assert process_pending(store, settings.pipeline) == 1
    (group,) = _groups(store)
    assert group.fingerprint_version == 2
    assert group.count == 1


def test_new_groups_do_not_claim_legacy_hashes(store: Store) -> None:
    settings = load_settings(env_file=None, DATABASE_URL=store.url)
    event = _event()
    Intake(store).accept("sentry", [event])
    process_pending(store, settings.pipeline)
    with store.reading() as session:
        hashes = set(session.scalars(select(GroupHash.hash)))
    assert hashes == set(compute_fingerprint(event).hashes)
    assert not hashes & set(legacy_hashes(event))


def test_fingerprint_rules_from_settings(store: Store) -> None:
    rules = [{"match": {"type": "*Error", "module": "app.billing"}, "fingerprint": ["billing"]}]
    settings = load_settings(
        env_file=None, DATABASE_URL=store.url, FINGERPRINT_RULES=json.dumps(rules)
    )
    intake = Intake(store)
    intake.accept("sentry", [_event("ConnectionError", "charge"), _event("TimeoutError", "refund")])
    intake.accept(
        "sentry",
        [
            _event("ConnectionError").model_copy(
                update={"exceptions": [ExceptionInfo(type="KeyError")]}
            )
        ],
    )
    assert process_pending(store, settings.pipeline) == 3
    assert [g.count for g in _groups(store)] == [2, 1]


def test_changing_in_app_settings_does_not_split_a_group(store: Store) -> None:
    before = load_settings(env_file=None, DATABASE_URL=store.url)
    after = load_settings(env_file=None, DATABASE_URL=store.url, IN_APP_INCLUDE="lib/")
    intake = Intake(store)
    intake.accept("sentry", [_event()])
    process_pending(store, before.pipeline)
    intake.accept("sentry", [_event()])
    process_pending(store, after.pipeline)
    (group,) = _groups(store)
    assert group.count == 2
    with store.reading() as session:
        assert {row.group_id for row in session.scalars(select(Event))} == {group.id}
