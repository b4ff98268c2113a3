"""Tracebacks cut in two by CloudWatch delivery: the head is held, the tail completes it.

A traceback's lines are separate CloudWatch log events, and a Firehose record or a
scan pass can end between them: the head (``Traceback ...`` and some frames, or a Java
exception and some ``at`` lines) arrives first, the rest later. Acting on the head would
open an issue for a trace without its exception line, in a group of its own.

So the choice here is to *delay, never re-point*: a record that ends at the edge of
what was read and looks cut off (`cloudwatch.looks_open`) is stored -- it is durable
before the delivery is acknowledged or the cursor moves -- but with status ``held``, which
the worker does not take, and a `held_traces` row for its stream. Then, in the same
transaction that stores the next lines of that stream:

* the same record read again, longer (a scan re-reading its overlap), replaces it;
* a record that continues it (same group and stream, its first line no record start,
  within `cloudwatch.CONTINUATION_GAP_MS` of its last line) is joined to it: the lines
  are put together and read again, so the stored event keeps its id and is grouped
  once, by the complete trace (its real exception type). The tail's own row stays, as
  ``merged``, so a redelivered tail is recognised and stored nothing again;
* a later record of the stream means the held one is complete as it is.

A complete record is released (``pending``) at once; one whose tail never comes is
released as it is when its grace period (``CLOUDWATCH_TAIL_GRACE_SECONDS``) ends, by the
next delivery or by the worker's timer (`release_expired`). Nothing is grouped before it
is released, so no partial-trace group or issue is ever made. The state is in the
database, so it holds across polls, deliveries, replicas and restarts, and it is bounded:
one held record per stream, `held_traces.MAX_HELD` in all, each under
`cloudwatch.MAX_JOIN_CHARS`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.orm import Session

from autotriage.intake import AfterStore, inbox_row
from autotriage.models import utcnow
from autotriage.sources.aws import cloudwatch
from autotriage.sources.aws.joining import join_lines, meta_of, without_lines
from autotriage.store import Store
from autotriage.store.db import json_loads
from autotriage.store.events import InboxRow, NewDelivery, StoredDelivery
from autotriage.store.held_traces import (
    HeldTrace,
    due,
    held_in_group,
    oldest_past_cap,
    stream_key,
)
from autotriage.store.tables import Event

HELD, MERGED, PENDING = "held", "merged", "pending"
RELEASE_BATCH = 500
"""Held records released per transaction by the timer."""


@dataclass
class Settled:
    """What one settling did, by ``events`` row id."""

    held: list[int] = field(default_factory=list)
    completed: list[int] = field(default_factory=list)
    """Held records a tail (or a longer read) completed: released to the worker."""
    released: list[int] = field(default_factory=list)
    """Held records released as they were: grace over, a new record began, the cap."""
    extended: list[int] = field(default_factory=list)
    """Held records that took more lines and still look cut off."""
    merged: list[int] = field(default_factory=list)
    dropped: list[int] = field(default_factory=list)
    """Fragments (tails reporting no error) that joined nothing."""

    @property
    def ready(self) -> bool:
        """Whether the worker has new work: a held record was released."""
        return bool(self.completed or self.released)

    def add(self, other: Settled) -> None:
        """Count `other` in."""
        for name in ("held", "completed", "released", "extended", "merged", "dropped"):
            getattr(self, name).extend(getattr(other, name))


@dataclass(frozen=True, slots=True)
class _Incoming:
    """A just-stored (or already known) record of a delivery, with its join metadata."""

    row_id: int
    new: bool
    group: str
    stream: str
    first_event_id: str
    row: InboxRow
    payload: dict[str, Any]
    meta: dict[str, Any]
    fragment: bool


def _incoming(row: InboxRow, stored: tuple[int, str] | None, new_ids: set[int]) -> _Incoming | None:
    if stored is None or not row.source_event_id:
        return None
    payload = json_loads(row.payload)
    found = meta_of(payload)
    if found is None:
        return None
    cw, meta = found
    group, stream = cw.get("log_group"), cw.get("log_stream")
    if not isinstance(group, str) or not isinstance(stream, str):
        return None
    row_id, _status = stored
    return _Incoming(
        row_id=row_id,
        new=row_id in new_ids,
        group=group,
        stream=stream,
        first_event_id=row.source_event_id,
        row=row,
        payload=payload,
        meta=meta,
        fragment=cw.get("fragment") is True,
    )


# --- the store's side ----------------------------------------------------------------


def _release(session: Session, head: HeldTrace, into: list[int]) -> None:
    """Hand a held record to the worker as it now is, and free its stream."""
    row = session.get(Event, head.event_id, with_for_update=True)
    if row is not None and row.status == HELD:
        row.payload, row.status = without_lines(row.payload), PENDING
        into.append(row.id)
    session.delete(head)
    session.flush()


def _rewrite(row: Event, new: InboxRow) -> dict[str, Any]:
    """Put a longer reading of a held record into its row (its id and arrival stay)."""
    payload: dict[str, Any] = json_loads(new.payload)
    old = row.payload if isinstance(row.payload, dict) else {}
    if isinstance(old.get("received_at"), str):
        payload["received_at"] = old["received_at"]
    old_tags = old.get("tags")
    if isinstance(old_tags, dict) and isinstance(payload.get("tags"), dict):
        payload["tags"] = {**old_tags, **payload["tags"]}  # Firehose's common attributes
    row.payload, row.title, row.level = payload, new.title[:500], new.level
    return payload


def _hold(
    session: Session,
    item: _Incoming,
    heads: dict[str, HeldTrace],
    now: datetime,
    grace: int,
    done: Settled,
) -> HeldTrace:
    for oldest in oldest_past_cap(session):
        heads.pop(oldest.stream_key, None)  # the cap: the oldest goes as it is
        _release(session, oldest, done.released)
    head = HeldTrace(
        stream_key=stream_key(item.group, item.stream),
        event_id=item.row_id,
        log_group=item.group[:512],
        log_stream=item.stream[:512],
        first_event_id=item.first_event_id[:255],
        first_ms=item.meta["first_ms"],
        last_ms=item.meta["last_ms"],
        held_until=now + timedelta(seconds=grace),
        created_at=now,
    )
    session.add(head)
    session.execute(update(Event).where(Event.id == item.row_id).values(status=HELD))
    session.flush()
    done.held.append(item.row_id)
    return head


def _finish(session: Session, head: HeldTrace, payload: dict[str, Any], done: Settled) -> None:
    """After a held record took lines: release it if it now looks complete."""
    meta = meta_of(payload)
    if meta is not None and meta[1].get("open") is True:
        done.extended.append(head.event_id)
    else:
        _release(session, head, done.completed)


def _held_row(
    session: Session, head: HeldTrace, done: Settled
) -> tuple[Event, dict[str, Any]] | None:
    """The held record's row and its join metadata (else it is released as it is)."""
    row = session.get(Event, head.event_id, with_for_update=True)
    held = meta_of(row.payload) if row is not None else None
    if row is None or held is None:
        _release(session, head, done.released)
        return None
    return row, held[1]


def _reread(session: Session, head: HeldTrace, item: _Incoming, done: Settled) -> None:
    """The held record read again (a scan's overlap, a redelivery under another id)."""
    if (found := _held_row(session, head, done)) is None:
        return
    row, held = found
    if int(item.meta.get("events") or 0) > int(held.get("events") or 0):
        payload = _rewrite(row, item.row)
        head.last_ms = max(head.last_ms, item.meta["last_ms"])
        _finish(session, head, payload, done)
    elif item.meta.get("at_end") is False:
        _release(session, head, done.released)  # the stream went on: it is complete


def _join(session: Session, head: HeldTrace, item: _Incoming, done: Settled) -> None:
    """Join a continuing record to the held one: read the lines again as one record."""
    if (found := _held_row(session, head, done)) is None:
        return
    row, held = found
    lines = join_lines(held.get("lines"), item.meta.get("lines"), item.stream)
    where = (held.get("continues") is True, item.meta.get("at_end") is True)
    event = cloudwatch.event_from_record(item.group, lines, where)
    if event is None or cloudwatch.is_fragment(event):
        _release(session, head, done.released)
        return
    payload = _rewrite(row, inbox_row(event))
    session.execute(
        update(Event)
        .where(Event.id == item.row_id)
        .values(status=MERGED, payload=without_lines(item.payload))
    )
    done.merged.append(item.row_id)
    head.last_ms = max(head.last_ms, item.meta["last_ms"])
    _finish(session, head, payload, done)


def _settle_one(
    session: Session,
    item: _Incoming,
    heads: dict[str, HeldTrace],
    now: datetime,
    grace: int,
    done: Settled,
) -> None:
    key = stream_key(item.group, item.stream)
    head = heads.get(key)
    if head is not None:
        if head.first_event_id == item.first_event_id[:255]:
            _reread(session, head, item, done)
            return
        gap = item.meta["first_ms"] - head.last_ms
        if item.new and item.meta.get("continues") is True and 0 <= gap <= _GAP_MS:
            _join(session, head, item, done)
            return
        first_ms = item.meta["first_ms"]
        if first_ms > head.last_ms or (item.new and first_ms == head.last_ms):
            _release(session, head, done.released)  # a later record: the held one is whole
            head = None
            del heads[key]
    if not item.new:
        return
    if item.fragment:
        session.execute(delete(Event).where(Event.id == item.row_id))
        done.dropped.append(item.row_id)
    elif head is None and item.meta.get("open") is True and grace > 0:
        heads[key] = _hold(session, item, heads, now, grace, done)
    elif "lines" in item.meta:
        row = session.get(Event, item.row_id)
        if row is not None:  # acted on as it is: the lines are not needed
            row.payload = without_lines(row.payload)


_GAP_MS = cloudwatch.CONTINUATION_GAP_MS
_MAY_JOIN = re.compile(r'"(?:open|continues)":\s?true')


def _settle_delivery(
    session: Session,
    delivery: NewDelivery,
    outcome: StoredDelivery,
    now: datetime,
    grace: int,
) -> Settled:
    done = Settled()
    rows = [r for r in delivery.rows if r.source_event_id and '"join":' in r.payload]
    if rows and session.scalar(select(HeldTrace.stream_key).limit(1)) is None:
        # nothing is held: only a record that may be cut off, or be a tail, needs a look
        rows = [r for r in rows if _MAY_JOIN.search(r.payload)]
    if not rows:
        return done
    keys = [str(r.values()["dedupe_key"]) for r in rows]
    stored = {
        str(key): (int(row_id), str(status))
        for row_id, key, status in session.execute(
            select(Event.id, Event.dedupe_key, Event.status).where(Event.dedupe_key.in_(keys))
        )
    }
    new_ids = set(outcome.event_ids)
    items = [
        item
        for row, key in zip(rows, keys, strict=True)
        if (item := _incoming(row, stored.get(key), new_ids)) is not None
    ]
    streams = {stream_key(item.group, item.stream) for item in items}
    heads = {
        head.stream_key: head
        for head in session.scalars(
            select(HeldTrace).where(HeldTrace.stream_key.in_(streams)).with_for_update()
        )
    }
    for item in items:
        _settle_one(session, item, heads, now, grace, done)
    # The delivery's lines are now in the records they completed, not in rows of their own.
    gone = set(done.merged) | set(done.dropped)
    ids = [i for i in outcome.event_ids if i not in gone]
    ids += [i for i in (*done.extended, *done.completed) if i not in ids]
    outcome.event_ids[:] = ids
    return done


def settle(
    session: Session,
    deliveries: Sequence[NewDelivery],
    outcomes: Sequence[StoredDelivery],
    now: datetime,
    *,
    grace_seconds: int,
) -> Settled:
    """Hold, join or release CloudWatch records just stored, in their transaction.

    Only deliveries of CloudWatch records are looked at (a batch with none costs nothing); a
    redelivery stored nothing and changes nothing. Held records whose grace is over
    are released first. `grace_seconds` 0 holds nothing.
    """
    done = Settled()
    # by the rows' source: ``replay`` hands Firehose files over as source "firehose"
    ours = [any(r.source == cloudwatch.NAME for r in d.rows) for d in deliveries]
    if not any(ours):
        return done
    for head in due(session, now, RELEASE_BATCH):
        _release(session, head, done.released)
    for delivery, outcome, mine in zip(deliveries, outcomes, ours, strict=True):
        if mine and not outcome.redelivery:
            done.add(_settle_delivery(session, delivery, outcome, now, grace_seconds))
    return done


def intake_hook(grace_seconds: int) -> AfterStore:
    """`settle` as `autotriage.intake.Intake.settle` runs it (the Firehose path).

    Intake commits on a bare Core connection and runs this only for a batch holding
    CloudWatch records; a session joins that transaction for the held-trace rows.
    """

    def run(
        connection: Connection,
        deliveries: Sequence[NewDelivery],
        outcomes: Sequence[StoredDelivery],
        now: datetime,
    ) -> Settled:
        with Session(bind=connection) as session:
            done = settle(session, deliveries, outcomes, now, grace_seconds=grace_seconds)
            session.flush()
        return done

    return run


def release_expired(store: Store, now: datetime | None = None) -> int:
    """Release the held records whose grace period is over (the worker's timer)."""
    done = Settled()
    with store.transaction() as session:
        for head in due(session, now or utcnow(), RELEASE_BATCH):
            _release(session, head, done.released)
    return len(done.released)


def release_now(store: Store, event_ids: Sequence[int]) -> int:
    """Release those of `event_ids` that are held, as they are (``replay``: a file read
    to its end has no tail still to come)."""
    done = Settled()
    with store.transaction() as session:
        stmt = select(HeldTrace).where(HeldTrace.event_id.in_(list(event_ids)))
        for head in session.scalars(stmt.with_for_update()):
            _release(session, head, done.released)
    return len(done.released)


def held_heads(store: Store, group: str, limit: int) -> list[tuple[str, str, int, int]]:
    """(stream, first event id, first ms, last ms) of what `group`'s streams hold."""
    with store.reading() as session:
        return [
            (h.log_stream, h.first_event_id, h.first_ms, h.last_ms)
            for h in held_in_group(session, group, limit)
        ]
