"""Benchmark: Sentry envelopes into a running server, beside a bare endpoint.

Starts ``autotriage serve`` (`tests.support.LiveServer`) on a fresh SQLite store
with ``AUTOTRIAGE_BENCH_ENDPOINTS`` on, then, from this separate process over loopback,
posts gzip'd envelopes (one error event with a 12-frame stack each, as sentry-python
sends them) first to ``/bench/drop`` (same server stack, reads and drops the body) and
then to ``/api/1/envelope/`` (auth, inflate, parse, scrub, commit before the 200).

Prints, for each: accepted events/s, p50/p99 latency, server CPU-seconds per 1,000
events and events per server CPU-second (utime+stime of the server process from
/proc), that CPU per event split between the event loop's thread and the others (the
group commit's, and scrubbing of large deliveries), the share of bare, and the load
average around the run. Afterwards it checks every accepted event is in the database.

With ``--rate``, a third phase posts envelopes open-loop at a fixed arrival rate:
``--rate 0.8`` (a fraction, at most 1) is that share of the capacity the closed-loop
envelope phase just measured, ``--rate 900`` an absolute rate in events/s. Each request
is due at its scheduled time whether or not earlier ones were answered, and its latency
counts from that time, so queueing in the server (or waiting for a free connection) is
in the figures: p50/p99 at that load, as SDKs spread over many hosts see it.

    .venv/bin/python -m bench.ingest_sentry [--events 3000] [--concurrency 16] [--worker]
                                            [--sdk] [--rate 0.8]
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
from typing import Any
from urllib.parse import urlsplit

import sentry_sdk
import uvloop
from sentry_sdk.transport import Transport
from sqlalchemy import func, select

from autotriage.models import utcnow
from autotriage.store import Store
from autotriage.store.ingest_keys import create_key
from autotriage.store.tables import Event
from tests.support import LiveServer

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` (and its reaped children) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
    return (utime + stime + cutime + cstime) / TICKS


def thread_cpu_seconds(pid: int) -> tuple[float, float]:
    """CPU time of process `pid`'s main thread (the event loop) and of its other threads
    (the commit and scrub threads) so far; threads that ended are not counted."""
    loop = other = 0.0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue  # the thread ended meanwhile
        used = (int(fields[11]) + int(fields[12])) / TICKS
        if task.name == str(pid):
            loop += used
        else:
            other += used
    return loop, other


def load_average() -> str:
    """The 1-, 5- and 15-minute load averages: figures on a shared machine need them."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _step(depth: int, n: int, payload: dict[str, Any]) -> Any:
    session_token = f"tok-{n}"  # a local variable the SDK sends, and intake must scrub
    if depth:
        return _step(depth - 1, n, payload)
    return payload["items"][f"sku-{n % 100}"] if session_token else None


def _capture(n: int) -> None:
    # One request's worth of scope, as a web framework integration gives each request.
    with sentry_sdk.isolation_scope() as scope:
        scope.set_user({"id": str(n % 500)})
        scope.set_tag("customer_tier", "gold")
        sentry_sdk.add_breadcrumb(category="http", message=f"POST /cart/{n % 50}")
        try:
            _step(11, n, {"items": {}})
        except KeyError:
            sentry_sdk.capture_exception()


def sdk_envelopes(key: str, count: int) -> list[bytes]:
    """`count` gzip'd envelopes made by sentry-sdk itself: a KeyError raised 12 frames
    deep, with everything the SDK adds by default (local variables, modules, contexts,
    breadcrumbs); user, tags and the missing key vary with the event."""
    captured: list[Any] = []

    class Capture(Transport):
        def capture_envelope(self, envelope: Any) -> None:
            captured.append(envelope)

    sentry_sdk.init(
        dsn=f"http://{key}@127.0.0.1/1",
        transport=Capture,
        release="shop@1.0.0",
        environment="production",
        server_name="web-1",
    )
    for n in range(count):
        _capture(n)
    sentry_sdk.flush()
    sentry_sdk.get_client().close()
    return [gzip.compress(envelope.serialize()) for envelope in captured]


def envelope(key: str, n: int) -> bytes:
    """A gzip'd hand-built envelope with one error event; `n` varies the message and id."""
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
        "exception": {
            "values": [
                {
                    "type": "KeyError",
                    "value": f"'sku-{n % 100}'",
                    "stacktrace": {"frames": frames},
                }
            ]
        },
    }
    item = json.dumps(event).encode()
    header = {
        "event_id": event_id,
        "dsn": f"http://{key}@127.0.0.1/1",
        "sent_at": "2026-11-29T02:00:00Z",
    }
    raw = (
        b"\n".join(
            [
                json.dumps(header).encode(),
                json.dumps({"type": "event", "length": len(item)}).encode(),
                item,
            ]
        )
        + b"\n"
    )
    return gzip.compress(raw)


def post(host: str, port: int, path: str, auth: str, body: bytes) -> bytes:
    """An HTTP/1.1 POST of gzip'd envelope `body` with the DSN key's auth header."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        "Content-Type: application/x-sentry-envelope\r\nContent-Encoding: gzip\r\n"
        f"X-Sentry-Auth: {auth}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    return head + body


async def exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes]:
    """Write one HTTP/1.1 request; read its answer's status and body."""
    writer.write(request)
    status = int((await reader.readline()).split()[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return status, await reader.readexactly(length)


async def _post_all(
    host: str, port: int, path: str, auth: str, queue: list[bytes], latencies: list[float]
) -> int:
    """One keep-alive connection posting bodies from `queue` until it is empty."""
    reader, writer = await asyncio.open_connection(host, port)
    ok = 0
    try:
        while queue:
            body = queue.pop()
            start = time.perf_counter()
            status, answer = await exchange(reader, writer, post(host, port, path, auth, body))
            latencies.append(time.perf_counter() - start)
            if status < 300:
                ok += 1
            else:
                print(f"  {status}: {answer[:200]!r}", file=sys.stderr)
    finally:
        writer.close()
    return ok


async def drive(
    url: str, bodies: list[bytes], concurrency: int, key: str
) -> tuple[list[float], int]:
    """POST every body over `concurrency` connections; return latencies and 2xx count.

    A bare asyncio HTTP/1.1 client: an HTTP library in this process would use more CPU
    per request than the server does, and the figures would measure the client.
    """
    parts = urlsplit(url)
    auth = f"Sentry sentry_key={key}, sentry_version=7, sentry_client=sentry.python/2.0.0"
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    latencies: list[float] = []
    queue = list(reversed(bodies))
    counts = await asyncio.gather(
        *(_post_all(host, port, parts.path, auth, queue, latencies) for _ in range(concurrency))
    )
    return latencies, sum(counts)


OPEN_LOOP_CONNECTIONS = 64
"""Connections the open-loop phase keeps: enough that a burst waits on the server, not
on the client."""


async def open_loop(
    url: str, bodies: list[bytes], rate: float, key: str
) -> tuple[list[float], int]:
    """POST `bodies` at `rate` per second on schedule; latencies count from each
    request's due time. Returns the latencies and the 2xx count."""
    parts = urlsplit(url)
    auth = f"Sentry sentry_key={key}, sentry_version=7, sentry_client=sentry.python/2.0.0"
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(OPEN_LOOP_CONNECTIONS):
        idle.put_nowait(await asyncio.open_connection(host, port))
    latencies: list[float] = []
    ok = 0

    async def one(body: bytes, due: float) -> None:
        nonlocal ok
        request = post(host, port, parts.path, auth, body)
        reader, writer = await idle.get()
        try:
            status, answer = await exchange(reader, writer, request)
        finally:
            idle.put_nowait((reader, writer))
        latencies.append(time.perf_counter() - due)
        if status < 300:
            ok += 1
        else:
            print(f"  {status}: {answer[:200]!r}", file=sys.stderr)

    start = time.perf_counter()
    tasks = []
    for n, body in enumerate(bodies):
        due = start + n / rate
        if (wait := due - time.perf_counter()) > 0:
            await asyncio.sleep(wait)
        tasks.append(asyncio.ensure_future(one(body, due)))
    await asyncio.gather(*tasks)
    while not idle.empty():
        idle.get_nowait()[1].close()
    return latencies, ok


def measure(
    server: LiveServer,
    path: str,
    bodies: list[bytes],
    concurrency: int,
    key: str,
    rate: float | None = None,
) -> dict[str, float]:
    """Run one phase (open-loop at `rate` events/s when given) and return its figures."""
    assert server.process is not None
    pid = server.process.pid
    cpu0, wall0 = cpu_seconds(pid), time.perf_counter()
    loop0, other0 = thread_cpu_seconds(pid)
    if rate is None:
        latencies, ok = uvloop.run(drive(server.url + path, bodies, concurrency, key))
    else:
        latencies, ok = uvloop.run(open_loop(server.url + path, bodies, rate, key))
    wall, cpu = time.perf_counter() - wall0, cpu_seconds(pid) - cpu0
    loop1, other1 = thread_cpu_seconds(pid)
    latencies.sort()
    return {
        "accepted": ok,
        "events_per_s": ok / wall,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "cpu_s_per_1000": cpu / max(ok, 1) * 1000,
        "events_per_cpu_s": ok / cpu if cpu else float("inf"),
        "loop_us": (loop1 - loop0) / max(ok, 1) * 1e6,
        "threads_us": (other1 - other0) / max(ok, 1) * 1e6,
    }


def main() -> None:
    """Run both phases and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--worker", action="store_true", help="run the grouping worker too")
    parser.add_argument(
        "--sdk", action="store_true", help="envelopes made by sentry-sdk instead of by hand"
    )
    parser.add_argument(
        "--rate",
        type=float,
        help="then post open-loop at this rate: a fraction (<= 1) of the measured "
        "envelope capacity, or events/s",
    )
    args = parser.parse_args()

    load_before = load_average()
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
        extra = args.events if args.rate else 0  # fresh events for the open-loop phase
        if args.sdk:
            made = sdk_envelopes(key, args.events + extra + 200)
            bodies, warmup = made[200 : 200 + args.events], made[:200]
            later = made[200 + args.events :]
        else:
            bodies = [envelope(key, n) for n in range(args.events)]
            warmup = [envelope(key, n) for n in range(200)]
            later = [envelope(key, n) for n in range(extra)]
        with LiveServer(env, cwd=root) as server:
            measure(server, "/bench/drop", warmup, args.concurrency, key)
            measure(server, "/api/1/envelope/", warmup, args.concurrency, key)
            bare = measure(server, "/bench/drop", bodies, args.concurrency, key)
            real = measure(server, "/api/1/envelope/", bodies, args.concurrency, key)
            loaded = None
            if args.rate:
                rate = args.rate * real["events_per_s"] if args.rate <= 1 else args.rate
                loaded = measure(server, "/api/1/envelope/", later, 0, key, rate)
                loaded["rate"] = rate
        with store.reading() as session:
            stored = session.scalar(select(func.count()).select_from(Event)) or 0
        store.dispose()

    print(
        f"{args.events} envelopes, concurrency {args.concurrency}, SQLite, "
        f"worker {'on' if args.worker else 'off'}, {os.cpu_count()} CPUs"
    )
    print(f"load average {load_before} before, {load_average()} after")
    print(
        f"{'endpoint':<22}{'events/s':>10}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'CPU-s/1000':>12}{'events/CPU-s':>14}{'loop µs':>9}{'threads µs':>12}"
    )
    for name, row in (("/bench/drop (bare)", bare), ("/api/1/envelope/", real)):
        print(
            f"{name:<22}{row['events_per_s']:>10.0f}{row['p50_ms']:>9.1f}{row['p99_ms']:>9.1f}"
            f"{row['cpu_s_per_1000']:>12.3f}{row['events_per_cpu_s']:>14.0f}"
            f"{row['loop_us']:>9.0f}{row['threads_us']:>12.0f}"
        )
    print(f"share of bare: {real['events_per_cpu_s'] / bare['events_per_cpu_s']:.0%}")
    if loaded is not None:
        print(
            f"open loop at {loaded['rate']:.0f} events/s"
            + (f" ({args.rate:g} x capacity)" if args.rate <= 1 else "")
            + f": achieved {loaded['events_per_s']:.0f}/s, p50 {loaded['p50_ms']:.1f} ms, "
            f"p99 {loaded['p99_ms']:.1f} ms, {loaded['events_per_cpu_s']:.0f} events/CPU-s "
            f"(loop {loaded['loop_us']:.0f} µs, threads {loaded['threads_us']:.0f} µs per event)"
        )
    expected = real["accepted"] + 200 + (loaded["accepted"] if loaded else 0)
    durable = stored == expected
    verdict = "every accepted event is in the database" if durable else "MISMATCH"
    print(f"accepted {int(expected) - 200} (+200 warm-up), stored {stored}: {verdict}")


if __name__ == "__main__":
    main()
