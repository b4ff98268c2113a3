"""Pipeline throughput: events accepted per second through `Intake`, and grouped per second.

Usage: python bench/pipeline.py [--events 20000] [--distinct 50] [--database-url URL]
Prints intake events/s (one commit per event, as the server does per request), grouping
events/s (the worker's `process_pending`), and the actions run.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from autotriage.actions import build_handlers
from autotriage.actions.outbox import run_due
from autotriage.config import load_settings
from autotriage.intake import Intake
from autotriage.models import ErrorEvent, ExceptionInfo, Frame
from autotriage.pipeline import process_pending
from autotriage.store import Store


def _event(n: int, distinct: int) -> ErrorEvent:
    kind = n % distinct
    frames = [
        Frame(
            filename=f"app/mod{kind}.py",
            function=f"handler{kind}",
            lineno=10 + i,
            in_app=True,
            context_line="x = y / z",
        )
        for i in range(8)
    ]
    return ErrorEvent(
        source="bench",
        source_event_id=f"e{n}",
        message=f"request {n} failed for user{n}@example.com",
        exceptions=[ExceptionInfo(type=f"Error{kind}", value=f"id {n} not found", frames=frames)],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--distinct", type=int, default=50)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        store = Store(url)
        store.migrate()
        settings = load_settings(env_file=None, DATABASE_URL=url)
        intake = Intake(store)
        events = [_event(n, args.distinct) for n in range(args.events)]
        start = time.perf_counter()
        for event in events:
            intake.accept("bench", [event])
        accepted = time.perf_counter() - start
        start = time.perf_counter()
        grouped = 0
        while True:
            n = process_pending(store, settings.pipeline, limit=500)
            if not n:
                break
            grouped += n
        grouping = time.perf_counter() - start
        start = time.perf_counter()
        actions = 0
        handlers = build_handlers(settings)
        while ran := run_due(store, handlers, limit=1000):
            actions += ran
        acting = time.perf_counter() - start
        store.dispose()
    print(f"backend            {url.split(':')[0]}")
    print(f"intake             {args.events / accepted:,.0f} events/s (one commit each)")
    print(f"grouping           {grouped / grouping:,.0f} events/s ({grouped} events)")
    print(f"actions            {actions} run in {acting:.2f}s")


if __name__ == "__main__":
    main()
