"""The outbox: actions are recorded before they are attempted, and their outcome after.

Each action row has a unique idempotency key, so planning the same action twice stores
it once. A worker claims a due action (status ``running`` with a lease), runs its
handler, and records the outcome. A crash mid-action leaves the row ``running``; once the
lease expires another attempt is made, which handlers make safe (the local tracker's
effects commit with the outcome; remote handlers reconcile before creating). While a
handler runs, its claim is renewed, so a slow action is never taken twice at once.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import or_, select, true, update
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session

from autotriage.actions.kinds import ActionHandler, ActionResult, PlannedAction
from autotriage.config import DEFAULT_ACTION_LEASE_SECONDS
from autotriage.models import utcnow
from autotriage.store import Store
from autotriage.store.db import insert_ignore, is_conflict
from autotriage.store.tables import Action

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=DEFAULT_ACTION_LEASE_SECONDS)  # AUTOTRIAGE_ACTION_LEASE_SECONDS
"""How long a claim holds before another worker may retry the action; handlers must finish
well within it (they return `retry` with `retry_after` rather than sleeping)."""
MAX_ATTEMPTS = 12
RECORD_ATTEMPTS = 3
"""Tries to record an outcome when the transaction deadlocks with another one."""


def enqueue(session: Session, planned: PlannedAction, now: datetime) -> bool:
    """Record `planned` unless an action with its key exists; True if it was new."""
    row_id = insert_ignore(
        session,
        Action.__table__,  # type: ignore[arg-type]
        idempotency_key=planned.key[:255],
        kind=planned.kind,
        group_id=planned.group_id,
        event_id=planned.event_id,
        status="pending",
        attempts=0,
        next_attempt_at=now,
        params=planned.params or {},
        created_at=now,
        updated_at=now,
    )
    if row_id is not None:
        _defer(session, row_id, now)
    return row_id is not None


def _defer(session: Session, action_id: int, when: datetime) -> None:
    # With the job engine, "run action N at `when`" commits with this transaction.
    defer = session.info.get("defer_action")
    if defer is not None:
        defer(session, action_id, when)


def backoff(attempts: int) -> timedelta:
    """Exponential backoff with jitter: 2s, 4s, 8s ... capped at one hour."""
    base = min(3600.0, 2.0 ** max(1, attempts))
    return timedelta(seconds=base * (0.5 + random.random() / 2))  # noqa: S311 - jitter, not crypto


def _claim(
    store: Store, kinds: set[str], now: datetime, lease: timedelta, action_id: int | None = None
) -> Action | None:
    try:
        return _try_claim(store, kinds, now, lease, action_id)
    except DBAPIError as exc:
        if not is_conflict(exc):
            raise
        # A deadlock with the pipeline or another worker: nothing was claimed; next cycle.
        log.info("claiming an action conflicted with another transaction; will retry")
        return None


def _try_claim(
    store: Store, kinds: set[str], now: datetime, lease: timedelta, action_id: int | None
) -> Action | None:
    only = (Action.id == action_id) if action_id is not None else true()
    with store.transaction() as session:
        candidates = session.scalars(
            select(Action)
            .where(
                only,
                Action.kind.in_(kinds),
                or_(
                    Action.status.in_(("pending", "retryable")) & (Action.next_attempt_at <= now),
                    (Action.status == "running") & (Action.claimed_at < now - lease),
                ),
            )
            .order_by(Action.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).all()
        for action in candidates:
            claimed = session.execute(
                update(Action)
                .where(Action.id == action.id, Action.status == action.status)
                .values(status="running", claimed_at=now, attempts=Action.attempts + 1)
            )
            if getattr(claimed, "rowcount", 0) == 1:
                session.refresh(action)
                return action
    return None


def run_one(
    store: Store,
    handlers: Mapping[str, ActionHandler],
    lease: timedelta = LEASE,
    action_id: int | None = None,
) -> Action | None:
    """Claim and run the oldest due action (or action `action_id` if it is due); return it,
    or None when nothing is due."""
    now = utcnow()
    action = _claim(store, set(handlers), now, lease, action_id)
    if action is None:
        return None
    handler = handlers[action.kind]
    try:
        with store.reading() as session:
            prepared = handler.prepare(session, action)
        with _renewed(store, action, lease):
            result = handler.perform(prepared)
    except Exception as exc:
        log.exception("action %s %s crashed", action.kind, action.id, extra=_log_ids(action))
        result = ActionResult.retry(f"{type(exc).__name__}: {exc}")
    try:
        _finish(store, handler, action, result)
    except Exception as exc:
        # The claim must not outlive a failed write (a deadlock, a lost connection): left
        # "running", the action would wait out the whole lease before anyone retried it.
        log.exception(
            "action %s %s: outcome not recorded; releasing the claim",
            action.kind,
            action.id,
            extra=_log_ids(action),
        )
        _release(store, action, f"outcome not recorded: {type(exc).__name__}")
    return action


@contextmanager
def _renewed(store: Store, action: Action, lease: timedelta) -> Iterator[None]:
    # A claim is ours while the row is "running" with our attempt number. Renewing it every
    # third of the lease keeps another worker from taking a slow action (a push, a sandboxed
    # test run) while it is still being performed; a killed worker stops renewing.
    stop = threading.Event()
    attempt = action.attempts

    def renew() -> None:
        while not stop.wait(lease.total_seconds() / 3):
            try:
                with store.transaction() as session:
                    renewed = session.execute(
                        update(Action)
                        .where(
                            Action.id == action.id,
                            Action.status == "running",
                            Action.attempts == attempt,
                        )
                        .values(claimed_at=utcnow())
                    )
            except SQLAlchemyError:  # the database is away: the lease decides, as after a crash
                log.warning("action %s %s: claim not renewed", action.kind, action.id)
                continue
            if getattr(renewed, "rowcount", 0) != 1:
                return  # the claim was lost (or released); nothing to keep

    keeper = threading.Thread(target=renew, name=f"lease-{action.id}", daemon=True)
    keeper.start()
    try:
        yield
    finally:
        stop.set()
        keeper.join()


def _release(store: Store, action: Action, detail: str) -> None:
    """Hand a claimed action back for a retry soon (its effects roll back or reconcile)."""
    now = utcnow()
    when = now + backoff(1)
    try:
        with store.transaction() as session:
            released = session.execute(
                update(Action)
                .where(Action.id == action.id, Action.status == "running")
                .values(status="retryable", next_attempt_at=when, detail=detail, updated_at=now)
            )
            if getattr(released, "rowcount", 0) == 1:
                _defer(session, action.id, when)
    except Exception:  # the database itself is gone: the lease brings the action back
        log.exception("action %s %s: claim not released", action.kind, action.id)


def _finish(store: Store, handler: ActionHandler, action: Action, result: ActionResult) -> None:
    # A deadlock only rolled this transaction back (perform's effect is done), so the
    # record is tried again before `run_one` falls back to releasing the claim, which
    # would run the effect a second time.
    for attempt in range(1, RECORD_ATTEMPTS + 1):
        try:
            status = _record(store, handler, action, result)
            break
        except DBAPIError as exc:
            if not is_conflict(exc) or attempt == RECORD_ATTEMPTS:
                raise
            log.info("recording action %s conflicted; retrying", action.id)
    if status is not None and status != "ok":
        log.warning(
            "action %s %s: %s (%s)",
            action.kind,
            action.id,
            status,
            result.detail,
            extra=_log_ids(action),
        )


def _record(
    store: Store, handler: ActionHandler, action: Action, result: ActionResult
) -> str | None:
    now = utcnow()
    with store.transaction() as session:
        row = session.get(Action, action.id)
        if row is None:
            return None
        status = result.status
        if status == "retryable" and row.attempts >= MAX_ATTEMPTS:
            status = "permanent"
        row.status = status
        row.detail = result.detail
        row.updated_at = now
        if result.external_id is not None:
            row.external_id = result.external_id
        if result.external_url is not None:
            row.external_url = result.external_url
        if status == "retryable":
            delay = (
                timedelta(seconds=result.retry_after)
                if result.retry_after is not None
                else backoff(row.attempts)
            )
            row.next_attempt_at = now + delay
            _defer(session, row.id, row.next_attempt_at)
        handler.record(session, row, result)
        return status


def _log_ids(action: Action) -> dict[str, int | None]:
    return {"group_id": action.group_id, "event_id": action.event_id}


def run_due(
    store: Store, handlers: Mapping[str, ActionHandler], limit: int = 50, lease: timedelta = LEASE
) -> int:
    """Run up to `limit` due actions; return how many ran."""
    done = 0
    while done < limit and run_one(store, handlers, lease) is not None:
        done += 1
    return done
