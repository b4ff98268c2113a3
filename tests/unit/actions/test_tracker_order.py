"""The local tracker's update and comment wait for the group's open, which a parallel
worker may still be running, instead of failing for good."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from autotriage.actions.kinds import ActionKind, ActionResult
from autotriage.actions.outbox import run_one
from autotriage.actions.tracker import LocalTracker
from autotriage.config import Settings
from autotriage.models import ErrorEvent, ExceptionInfo, utcnow
from autotriage.pipeline import process_pending
from autotriage.services import build_services
from autotriage.store.tables import Action


def test_an_update_planned_before_the_open_ran_is_retried_not_dropped(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(AUTOTRIAGE_WORKER="false")
    services = build_services(settings)
    services.store.migrate()
    try:
        event = ErrorEvent(
            source="generic",
            received_at=utcnow(),
            exceptions=[ExceptionInfo(type="KeyError", value="'sku'")],
        )
        services.intake.accept("generic", [event])
        process_pending(services.store, settings.pipeline)
        handlers = {h.kind: h for h in LocalTracker().handlers()}
        with services.store.transaction() as session:
            group_id = session.scalars(select(Action.group_id)).first()
            opened = session.scalars(
                select(Action).where(Action.kind == ActionKind.TRACKER_OPEN)
            ).one()
            opened.status = "running"  # another worker thread has it right now
            update = Action(
                idempotency_key="local:update:test",
                kind=ActionKind.TRACKER_UPDATE,
                group_id=group_id,
                status="pending",
                attempts=0,
                next_attempt_at=utcnow(),
                params={},
                created_at=utcnow(),
                updated_at=utcnow(),
            )
            session.add(update)
            session.flush()
            update_id = update.id
        update_handler = {ActionKind.TRACKER_UPDATE: handlers[ActionKind.TRACKER_UPDATE]}
        assert run_one(services.store, update_handler, action_id=update_id) is not None
        with services.store.reading() as session:
            row = session.get(Action, update_id)
            assert row is not None
            assert (row.status, row.detail) == ("retryable", "the issue is not open yet")
        # Once the open finished (even for good), the update goes ahead.
        prepared = handlers[ActionKind.TRACKER_UPDATE].prepare
        with services.store.transaction() as session:
            session.get(Action, opened.id).status = "permanent"  # type: ignore[union-attr]
        with services.store.reading() as session:
            row = session.get(Action, update_id)
            assert row is not None
            result = handlers[ActionKind.TRACKER_UPDATE].perform(prepared(session, row))
        assert isinstance(result, ActionResult) and result.status == "ok"
    finally:
        services.close()
