"""What counting users costs the worker: grouping CPU seconds per 1,000 events, for events
naming nobody, the same few users again and again, and a storm of distinct users (past
the per-group cap of `autotriage.store.groups.EXACT_USERS`).

Usage: python -m bench.users [--events 5000] [--database-url URL]
Prints, per case, the worker's CPU seconds (utime+stime of this process) per 1,000 events,
the group's user count and the rows ``group_users`` holds (bounded by the cap).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

from autotriage.config import load_settings
from autotriage.intake import Intake
from autotriage.models import ErrorEvent, ExceptionInfo, Frame
from autotriage.pipeline import process_pending
from autotriage.store import Store
from autotriage.store.groups import GroupUser
from autotriage.store.tables import Group

CASES = {
    "no user": lambda _n: {},
    "10 users, repeating": lambda n: {"user": {"id": str(n % 10)}},
    "all distinct (storm)": lambda n: {"user": {"id": f"u{n}", "email": f"u{n}@example.com"}},
}


def _event(n: int, contexts: dict[str, object]) -> ErrorEvent:
    frame = Frame(filename="app/cart.py", function="total", lineno=42, in_app=True)
    return ErrorEvent(
        source="bench",
        source_event_id=f"e{n}",
        contexts=contexts,
        exceptions=[ExceptionInfo(type="KeyError", value="'sku'", frames=[frame])],
    )


def run(case: str, events: int, url: str) -> tuple[float, int, int]:
    store = Store(url)
    store.migrate()
    settings = load_settings(env_file=None, DATABASE_URL=url)
    intake = Intake(store)
    make = CASES[case]
    batch = [_event(n, make(n)) for n in range(events)]
    for start in range(0, events, 500):
        intake.accept("bench", batch[start : start + 500])
    before = time.process_time()
    while process_pending(store, settings.pipeline):
        pass
    cpu = time.process_time() - before
    with store.reading() as session:
        users = int(session.scalar(select(func.max(Group.users))) or 0)
        rows = int(session.scalar(select(func.count()).select_from(GroupUser)) or 0)
    store.dispose()
    return cpu * 1000 / events, users, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    for case in CASES:
        with tempfile.TemporaryDirectory() as tmp:
            url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
            per_k, users, rows = run(case, args.events, url)
        print(
            f"{case:<22} {per_k:6.3f} CPU s per 1,000 events grouped"
            f"  users={users:<5} group_users rows={rows}"
        )


if __name__ == "__main__":
    main()
