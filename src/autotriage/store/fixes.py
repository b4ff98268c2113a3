"""Fix attempts of a group (``fix_attempts``): written with the fix action's outcome."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from autotriage.store.tables import FixAttemptRow


def save_attempt(
    session: Session, action_key: str, group_id: int, attempt: dict[str, Any], now: datetime
) -> FixAttemptRow:
    """Store one attempt (`FixAttempt.as_json()` plus ``branch``/``pr_number``/``pr_url``).

    Keyed by the action, so a retried action rewrites its own row instead of adding one.
    """
    row = session.scalars(
        select(FixAttemptRow).where(FixAttemptRow.action_key == action_key)
    ).first()
    if row is None:
        row = FixAttemptRow(action_key=action_key, group_id=group_id, created_at=now)
        session.add(row)
    failed = next((g for g in attempt.get("gates") or [] if not g.get("ok")), None)
    row.outcome = str(attempt.get("outcome") or "none")
    row.fixer = attempt.get("fixer")
    row.patch = attempt.get("patch")
    row.files = list(attempt.get("files") or [])
    row.evidence = attempt.get("evidence")
    row.gates = list(attempt.get("gates") or [])
    row.failed_gate = failed["gate"] if failed else None
    row.reasons = [str(r) for r in attempt.get("reasons") or []]
    row.commit = attempt.get("commit")
    row.branch = attempt.get("branch")
    row.pr_number = attempt.get("pr_number")
    row.pr_url = attempt.get("pr_url")
    session.flush()
    return row


def latest_attempt(session: Session, group_id: int) -> FixAttemptRow | None:
    """The group's most recent fix attempt."""
    return session.scalars(
        select(FixAttemptRow)
        .where(FixAttemptRow.group_id == group_id)
        .order_by(FixAttemptRow.id.desc())
        .limit(1)
    ).first()


def attempt_json(row: FixAttemptRow) -> dict[str, Any]:
    """What ``/api/groups/{id}`` shows of an attempt."""
    return {
        "outcome": row.outcome,
        "fixer": row.fixer,
        "patch": row.patch,
        "files": row.files,
        "evidence": row.evidence,
        "gates": row.gates,
        "failed_gate": row.failed_gate,
        "reasons": row.reasons,
        "commit": row.commit,
        "branch": row.branch,
        "pull_request": (
            {"number": row.pr_number, "url": row.pr_url} if row.pr_number is not None else None
        ),
        "at": row.created_at.isoformat(),
    }
