"""What a GitHub issue's state means for its group, as a lifecycle signal.

* closed as completed -> resolve (when it was closed; the release then current);
* closed as not planned (or as a duplicate) -> ignore: the group never reopens;
* reopened by a person -> reopen (autotriage's own reopenings change nothing).

Pure (no githubkit), so the webhook route can use it without loading the client.
"""

from __future__ import annotations

from datetime import datetime

from autotriage.lifecycle import Signal, Status

SOURCE = "github"


def issue_signal(
    state: str,
    state_reason: str | None,
    *,
    closed_at: datetime | None = None,
    by_person: bool = True,
    fixed_commit: str | None = None,
) -> Signal | None:
    """The signal an issue in `state` (``open``/``closed``) gives its group, if any."""
    if state == "closed":
        if state_reason in ("not_planned", "duplicate"):
            return Signal(Status.IGNORED, SOURCE)
        return Signal(Status.RESOLVED, SOURCE, at=closed_at, fixed_commit=fixed_commit)
    if state == "open" and by_person:
        return Signal(Status.OPEN, SOURCE)
    return None
