"""Benchmark: Sentry envelopes into a running server, beside a bare endpoint.

Starts ``autotriage serve`` (`autotriage.testing.LiveServer`) on a fresh SQLite store
with ``AUTOTRIAGE_BENCH_ENDPOINTS`` on, then, from this separate process over loopback,
posts gzip'd envelopes (one error event with a 12-frame stack each, as sentry-python
sends them) first to ``/bench/drop`` (same server stack, reads and drops the body) and
then to ``/api/1/envelope/`` (auth, inflate, parse, scrub, commit before the 200).

Prints, for each: accepted events/s, p50/p99 latency, server CPU-seconds per 1,000
events and events per server CPU-second (utime+stime of the server process from
/proc). Afterwards it checks every accepted event is in the database.

    .venv/bin/python bench/ingest_sentry.py [--events 3000] [--concurrency 16] [--worker]
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import uvloop
from sqlalchemy import func, select

from autotriage.models import utcnow
from autotriage.store import Store
from autotriage.store.ingest_keys import create_key
from autotriage.store.tables import Event
from autotriage.testing import LiveServer

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` (and its reaped children) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
    return (utime + stime + cutime + cstime) / TICKS


def envelope(key: str, n: int) -> bytes:
    """A gzip'd envelope with one error event; `n` varies the message and id."""
    event_id = uuid.uuid4().hex
    frames = [
        {
            "filename": f"shop/module_{i}.py",
            "abs_path": f"/srv/shop/module_{i}.py",
            "module": f"shop.module_{i}",
            "function": f"handler_{i}",
            "lineno": 10 + i,
            "in_app": i > 3,
            "context_line": f"    result = step_{i}(payload)",
            "pre_context": ["    payload = load()", "    check(payload)"],
            "post_context": ["    return result"],
        }
        for i in range(12)
    ]
    event = {
        "event_id": event_id,
        "timestamp": time.time(),
        "platform": "python",
        "level": "error",
        "release": "shop@1.0.0",
        "environment": "production",
        "server_name": "web-1",
        "tags": {"customer_tier": "gold", "region": "eu"},
        "user": {"id": str(n % 500)},
        "request": {"url": f"https://shop.example/cart/{n % 50}", "method": "POST"},
        "sdk": {"name": "sentry.python", "version": "2.0.0"},
        "exception": {"values": [{
            "type": "KeyError", "value": f"'sku-{n % 100}'",
            "stacktrace": {"frames": frames},
        }]},
    }
    item = json.dumps(event).encode()
    header = {"event_id": event_id, "dsn": f"http://{key}@127.0.0.1/1",
              "sent_at": "2026-11-29T02:00:00Z"}
    raw = b"\n".join([json.dumps(header).encode(),
                      json.dumps({"type": "event", "length": len(item)}).encode(), item]) + b"\n"
    return gzip.compress(raw)


async def _post_all(
    host: str, port: int, path: str, queue: list[bytes], latencies: list[float]
) -> int:
    """One keep-alive connection posting bodies from `queue` until it is empty."""
    reader, writer = await asyncio.open_connection(host, port)
    ok = 0
    try:
        while queue:
            body = queue.pop()
            head = (
                f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                "Content-Type: application/x-sentry-envelope\r\nContent-Encoding: gzip\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode()
            start = time.perf_counter()
            writer.write(head + body)
            status = int((await reader.readline()).split()[1])
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            answer = await reader.readexactly(length)
            latencies.append(time.perf_counter() - start)
            if status < 300:
                ok += 1
            else:
                print(f"  {status}: {answer[:200]!r}", file=sys.stderr)
    finally:
        writer.close()
    return ok


async def drive(url: str, bodies: list[bytes], concurrency: int) -> tuple[list[float], int]:
    """POST every body over `concurrency` connections; return latencies and 2xx count.

    A bare asyncio HTTP/1.1 client: an HTTP library in this process would use more CPU
    per request than the server does, and the figures would measure the client.
    """
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    latencies: list[float] = []
    queue = list(reversed(bodies))
    counts = await asyncio.gather(
        *(_post_all(host, port, parts.path, queue, latencies) for _ in range(concurrency))
    )
    return latencies, sum(counts)


def measure(
    server: LiveServer, path: str, bodies: list[bytes], concurrency: int
) -> dict[str, float]:
    """Run one phase and return its figures."""
    assert server.process is not None
    pid = server.process.pid
    cpu0, wall0 = cpu_seconds(pid), time.perf_counter()
    latencies, ok = uvloop.run(drive(server.url + path, bodies, concurrency))
    wall, cpu = time.perf_counter() - wall0, cpu_seconds(pid) - cpu0
    latencies.sort()
    return {
        "accepted": ok,
        "events_per_s": ok / wall,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "cpu_s_per_1000": cpu / max(ok, 1) * 1000,
        "events_per_cpu_s": ok / cpu if cpu else float("inf"),
    }


def main() -> None:
    """Run both phases and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--worker", action="store_true", help="run the grouping worker too")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="autotriage-bench-") as tmp:
        root = Path(tmp)
        url = f"sqlite:///{root / 'bench.db'}"
        store = Store(url)
        store.migrate()
        with store.transaction() as session:
            key, _ = create_key(session, 1, "bench", utcnow())
        env = {
            "DATABASE_URL": url,
            "AUTOTRIAGE_BENCH_ENDPOINTS": "true",
            "AUTOTRIAGE_WORKER": "true" if args.worker else "false",
            "INGEST_MAX_INFLIGHT": str(max(args.concurrency * 2, 128)),
            "LOG_LEVEL": "warning",
        }
        bodies = [envelope(key, n) for n in range(args.events)]
        warmup = [envelope(key, n) for n in range(200)]
        with LiveServer(env, cwd=root) as server:
            measure(server, "/bench/drop", warmup, args.concurrency)
            measure(server, "/api/1/envelope/", warmup, args.concurrency)
            bare = measure(server, "/bench/drop", bodies, args.concurrency)
            real = measure(server, "/api/1/envelope/", bodies, args.concurrency)
        with store.reading() as session:
            stored = session.scalar(select(func.count()).select_from(Event)) or 0
        store.dispose()

    print(f"{args.events} envelopes, concurrency {args.concurrency}, SQLite, "
          f"worker {'on' if args.worker else 'off'}, {os.cpu_count()} CPUs")
    print(f"{'endpoint':<22}{'events/s':>10}{'p50 ms':>9}{'p99 ms':>9}"
          f"{'CPU-s/1000':>12}{'events/CPU-s':>14}")
    for name, row in (("/bench/drop (bare)", bare), ("/api/1/envelope/", real)):
        print(f"{name:<22}{row['events_per_s']:>10.0f}{row['p50_ms']:>9.1f}{row['p99_ms']:>9.1f}"
              f"{row['cpu_s_per_1000']:>12.3f}{row['events_per_cpu_s']:>14.0f}")
    durable = stored == real["accepted"] + 200
    verdict = "every accepted event is in the database" if durable else "MISMATCH"
    print(f"accepted {int(real['accepted'])} (+200 warm-up), stored {stored}: {verdict}")


if __name__ == "__main__":
    main()
