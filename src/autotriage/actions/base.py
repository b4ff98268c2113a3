"""What every outbound action handler looks like, and what it returns.

An action runs in three steps so no network call ever happens inside a database
transaction, and the local effects of an action commit together with its outcome:

1. `prepare(session, action)` reads what the action needs (inside a read transaction);
2. `perform(prepared)` talks to the outside world, with no transaction open;
3. `record(session, action, result)` writes local effects in the transaction that
   also stores the outcome, so they happen exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

from sqlalchemy.orm import Session

from autotriage.actions.kinds import ActionKind
from autotriage.store.tables import Action

Outcome = Literal["ok", "retryable", "permanent"]


@dataclass(frozen=True, slots=True)
class ActionResult:
    """The outcome of one attempt: ok, or a failure the outbox may or may not retry."""

    status: Outcome
    external_id: str | None = None
    external_url: str | None = None
    detail: str | None = None
    retry_after: float | None = None
    data: Any = None

    @classmethod
    def ok(cls, external_id: str | None = None, url: str | None = None, **kw: Any) -> ActionResult:
        """A successful attempt."""
        return cls("ok", external_id, url, **kw)

    @classmethod
    def retry(cls, detail: str, retry_after: float | None = None) -> ActionResult:
        """A failure worth trying again later."""
        return cls("retryable", detail=detail, retry_after=retry_after)

    @classmethod
    def fail(cls, detail: str) -> ActionResult:
        """A failure that retrying will not fix."""
        return cls("permanent", detail=detail)


class ActionHandler(Protocol):
    """One kind of outbound action."""

    kind: str

    def prepare(self, session: Session, action: Action) -> Any:
        """Read and render what `perform` needs."""

    def perform(self, prepared: Any) -> ActionResult:
        """Do the action; never raises for a vendor's 4xx/5xx."""

    def record(self, session: Session, action: Action, result: ActionResult) -> None:
        """Write the action's local effects; runs in the transaction storing the outcome."""


@dataclass(frozen=True, slots=True)
class PlannedAction:
    """An action the pipeline decided on; its key makes it happen at most once."""

    kind: ActionKind
    key: str
    group_id: int | None = None
    event_id: int | None = None
    params: dict[str, Any] | None = None
