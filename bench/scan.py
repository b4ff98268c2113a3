"""Benchmark: CloudWatch log events read and parsed per second by a scan, against moto.

Writes a log group of mixed lines (INFO noise, ERROR lines, Python tracebacks split one
line per event, JSON logs) into a ThreadedMotoServer, then runs `Scanner` over it through
real boto3 HTTP calls into a temporary SQLite store, and prints the figures. moto's filter
patterns match everything, so every event is returned and read (the worst case). Also
times the pure parsing (reassembly + error extraction) alone.

    .venv/bin/python -m bench.scan [--events 20000]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import boto3
from moto.server import ThreadedMotoServer

from autotriage.config import load_settings
from autotriage.scans.runner import Scanner
from autotriage.sources.aws import cloudwatch, logs_api
from autotriage.store import Store
from tests.support import free_port

TRACE = [
    "2026-05-28 20:26:38,114 ERROR orders.views Unhandled exception on POST /orders",
    "Traceback (most recent call last):",
    '  File "/srv/app/orders/views.py", line 88, in create_order',
    "    total = compute_total(cart)",
    '  File "/srv/app/orders/pricing.py", line 41, in compute_total',
    "    return subtotal / item_count",
    "ZeroDivisionError: division by zero",
]


def lines(count: int, rng: random.Random) -> list[str]:
    """A realistic mix: mostly INFO, some errors, a few split tracebacks."""
    out: list[str] = []
    while len(out) < count:
        roll = rng.random()
        if roll < 0.80:
            item = rng.randint(1, 9999)
            out.append(f"2026-05-28 20:26:{rng.randint(10, 59)} INFO orders GET /items/{item} 200")
        elif roll < 0.90:
            n = rng.randint(1, 999)
            out.append(f'{{"level":"error","msg":"payment {n} declined","service":"billing"}}')
        elif roll < 0.95:
            out.append(
                f"2026-05-28 20:26:38 ERROR worker job {rng.randint(1, 999)} failed: timeout"
            )
        else:
            out.extend(TRACE)
    return out[:count]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--streams", type=int, default=20)
    args = parser.parse_args()
    rng = random.Random(7)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    client = boto3.client(
        "logs",
        region_name="us-east-1",
        endpoint_url=url,
        aws_access_key_id="bench",
        aws_secret_access_key="bench",  # noqa: S106 - moto takes any key
    )
    group = "/ecs/bench"
    client.create_log_group(logGroupName=group)
    now = int(time.time() * 1000) - 600_000
    per_stream = args.events // args.streams
    all_lines = 0
    for s in range(args.streams):
        stream = f"task/{s:03d}"
        client.create_log_stream(logGroupName=group, logStreamName=stream)
        batch = lines(per_stream, rng)
        # one ms apart: a traceback's lines stay within the continuation gap
        events = [{"timestamp": now + i * 5, "message": m} for i, m in enumerate(batch)]
        for start in range(0, len(events), 5000):
            client.put_log_events(
                logGroupName=group, logStreamName=stream, logEvents=events[start : start + 5000]
            )
        all_lines += len(batch)

    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(
            env_file=None,
            DATABASE_URL=f"sqlite:///{Path(tmp) / 'bench.db'}",
            AWS_REGION="us-east-1",
            AWS_ENDPOINT_URL=url,
            AWS_ACCESS_KEY_ID="bench",
            AWS_SECRET_ACCESS_KEY="bench",  # noqa: S106 - moto takes any key
            AWS_LOG_GROUP_NAME=group,
            CLOUDWATCH_PAGE_SIZE=10000,
            CLOUDWATCH_MAX_RPS=1000,
        )
        store = Store(settings.database_url)
        store.migrate()
        started = time.perf_counter()
        summary = Scanner(store, settings.aws, logs_api.make_client(settings.aws)).run(
            since=timedelta(hours=1)
        )
        elapsed = time.perf_counter() - started
        data = summary.as_dict()
        store.dispose()

    page = logs_api.filter_page(
        client, group, start_ms=0, end_ms=now + 10**9, pattern="", token=None, limit=10000
    )
    events = page.events
    started = time.perf_counter()
    parsed = cloudwatch.parse_log_events(group, events)
    parse_elapsed = time.perf_counter() - started
    server.stop()

    print(f"log events written:          {all_lines}")
    print(
        f"scan: events read            {data['events_read']} in {elapsed:.2f} s "
        f"-> {data['events_read'] / elapsed:,.0f} events/s (read, reassembled, parsed, stored)"
    )
    print(
        f"scan: errors found / stored  {data['errors_found']} / {data['stored']}; "
        f"AWS requests {data['requests']}"
    )
    print(
        f"parse only: {len(events)} events -> {len(parsed)} errors in {parse_elapsed:.3f} s "
        f"-> {len(events) / parse_elapsed:,.0f} events/s"
    )


if __name__ == "__main__":
    main()
