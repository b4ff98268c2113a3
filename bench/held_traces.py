"""What holding cut-off CloudWatch tracebacks costs intake: milliseconds per Firehose
delivery of complete error records, committed through `Intake.accept`, without the
`sources.aws.tails` hook, with it while nothing is held, and with it while other streams
hold records; then the held-traces table after holding more heads than its cap.

Usage: python -m bench.held_traces [--deliveries 10] [--records 500] [--database-url URL]
Prints one line per case (mean ms per delivery, CPU ms per delivery) and the table's row
count beside its cap.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import itertools
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from autotriage.intake import Intake
from autotriage.sources.aws import firehose, tails
from autotriage.store import Store, held_traces
from autotriage.store.held_traces import HeldTrace

T0 = 1_780_000_000_000
_ids = itertools.count(1)
HEAD = [
    "2026-05-28 20:26:38,114 ERROR orders.views Unhandled exception",
    "Traceback (most recent call last):",
    '  File "/srv/app/orders/views.py", line 88, in create_order',
    "    total = compute_total(cart)",
]


def _delivery(request_id: str, stream: str, lines: list[str], start_ms: int, step: int) -> bytes:
    events = [
        {"id": str(10**55 + next(_ids)), "timestamp": start_ms + i * step, "message": line}
        for i, line in enumerate(lines)
    ]
    message: dict[str, Any] = {
        "messageType": "DATA_MESSAGE",
        "logGroup": "/ecs/bench",
        "logStream": stream,
        "logEvents": events,
    }
    record = base64.b64encode(gzip.compress(json.dumps(message).encode())).decode()
    return json.dumps({"requestId": request_id, "records": [{"data": record}]}).encode()


def _run(intake: Intake, name: str, deliveries: int, records: int) -> tuple[float, float]:
    wall = cpu = 0.0
    for k in range(deliveries):
        lines = [f"2026-05-28 20:26:{k % 60:02d} ERROR failure {k}-{i}" for i in range(records)]
        body = _delivery(f"{name}-{k}", f"busy-{name}", lines, T0 + next(_ids) * 10_000, 3000)
        events = firehose.parse(body, {})
        started, started_cpu = time.perf_counter(), time.process_time()
        intake.accept("cloudwatch", events, delivery_id=f"firehose:{name}-{k}")
        wall += time.perf_counter() - started
        cpu += time.process_time() - started_cpu
    return wall / deliveries * 1000, cpu / deliveries * 1000


def main() -> None:
    """Run the cases and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=10)
    parser.add_argument("--records", type=int, default=500)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}")
        store.migrate()
        plain = Intake(store)
        hooked = Intake(store)
        hooked.settle = tails.intake_hook(120)
        print(f"{args.records} complete records per delivery, {args.deliveries} deliveries")
        for label, intake, name in (
            ("without the hook", plain, "plain"),
            ("with it, nothing held", hooked, "empty"),
        ):
            wall, cpu = _run(intake, name, args.deliveries, args.records)
            print(f"  {label:<28} {wall:7.1f} ms/delivery  {cpu:7.1f} CPU ms/delivery")
        for n in range(50):
            body = _delivery(f"head-{n}", f"held-{n}", HEAD, T0 + n, 1)
            hooked.accept("cloudwatch", firehose.parse(body, {}), delivery_id=f"firehose:h{n}")
        wall, cpu = _run(hooked, "held", args.deliveries, args.records)
        label = "with it, 50 streams held"
        print(f"  {label:<28} {wall:7.1f} ms/delivery  {cpu:7.1f} CPU ms/delivery")
        held_traces.MAX_HELD = 200  # the cap, lowered so the bench fills it quickly
        for n in range(50, 450):
            body = _delivery(f"head-{n}", f"held-{n}", HEAD, T0 + n, 1)
            hooked.accept("cloudwatch", firehose.parse(body, {}), delivery_id=f"firehose:h{n}")
        with store.reading() as session:
            rows = session.scalar(select(func.count()).select_from(HeldTrace))
        print(f"  held after 450 heads: {rows} rows (cap {held_traces.MAX_HELD})")
        store.dispose()


if __name__ == "__main__":
    main()
