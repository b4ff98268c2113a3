"""The only write path in: verify -> parse -> scrub -> persist -> answer.

Web routes and the CLI verify and parse with a source module, then hand the events to
`Intake.accept`, which scrubs them and commits them before returning. Only then may the
caller answer 2xx: an acknowledged event is durable. Processing happens later, in the
worker (`autotriage.worker`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from autotriage.models import ErrorEvent, utcnow
from autotriage.store import Store
from autotriage.store.events import StoredDelivery, store_delivery
from autotriage.understanding.scrub import scrub_event


class Intake:
    """Scrubs and persists accepted events, then wakes the worker."""

    def __init__(self, store: Store, *, wake: Callable[[], None] | None = None) -> None:
        self.store = store
        self.wake = wake

    def accept(
        self, source: str, events: Sequence[ErrorEvent], *, delivery_id: str | None = None
    ) -> StoredDelivery:
        """Scrub and commit `events`; a redelivery or a known event id stores nothing again."""
        clean = [scrub_event(event) for event in events]
        with self.store.transaction() as session:
            outcome = store_delivery(session, source, clean, delivery_id=delivery_id, now=utcnow())
        if outcome.event_ids and self.wake is not None:
            self.wake()
        return outcome
