"""Soak: Sentry envelopes at 80% of measured capacity for N minutes; RSS and p99 stay flat.

Starts ``autotriage serve`` (`tests.support.LiveServer`) on a fresh SQLite store, the
grouping worker on, measures capacity with a short closed-loop burst (16 connections
posting as fast as they are answered), then sends envelopes open-loop at 80% of that
rate: each a distinct event (its own id, one of 100 messages and 500 users), so the
store grows and every memo sees new input. Every minute it prints the server's
resident memory, that minute's p50/p99, the answers it *refused* (429/503: load shed,
a rate limit, the in-flight cap -- the server working as designed, counted by reason)
apart from those that *failed* (any other non-2xx), the inbox backlog (events accepted
but not grouped yet; past ``INGEST_MAX_BACKLOG`` ingest sheds) and the database size
(with its WAL). At the end it compares the last minute with the second one (the first
warms up) and prints the refusals by reason:

    .venv/bin/python -m bench.soak [--minutes 10] [--share 0.8] [--no-worker]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import uvloop

from autotriage.models import utcnow
from autotriage.store import Store
from autotriage.store.events import count_pending
from autotriage.store.ingest_keys import create_key
from bench.ingest_sentry import cpu_seconds, envelope, exchange, measure, post
from tests.support import LiveServer

CONNECTIONS = 32


def rss_mb(pid: int) -> float:
    """Resident memory of process `pid`, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def db_mb(path: Path) -> float:
    """The SQLite file and its WAL, in MB."""
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 1e6


class Minute:
    """What one minute of the soak saw."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.refused: Counter[str] = Counter()  # 429/503, by the answer's reason
        self.failed: Counter[str] = Counter()  # any other non-2xx, by status and reason
        self.lag = 0.0


def reason(status: int, body: bytes) -> str:
    """``<status> <message>`` of an error answer (the one error shape), for the tally."""
    try:
        message = str(json.loads(body)["error"]["message"])
    except (ValueError, KeyError, TypeError):
        message = body[:60].decode("utf-8", "replace")
    return f"{status} {message}"


def backlog(store: Store) -> int:
    """Events in the inbox not processed yet (what the load shedder reads)."""
    with store.reading() as session:
        return count_pending(session)


async def soak(url: str, key: str, rate: float, seconds: float, minutes: list[Minute]) -> None:
    """Send envelopes at `rate` per second for `seconds`, filing each answer's latency
    under the minute it came in; a minute's lag is how far behind schedule a send was
    (the server answering too slowly for `CONNECTIONS` senders to keep the rate)."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    auth = f"Sentry sentry_key={key}, sentry_version=7, sentry_client=sentry.python/2.0.0"
    start = time.perf_counter()
    counter = iter(range(10**12))

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while True:
                n = next(counter)
                due = start + n / rate
                if due - start >= seconds or time.perf_counter() - start >= seconds:
                    return  # the end, even when behind schedule: no backlog after it
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                request = post(host, port, "/api/1/envelope/", auth, envelope(key, n))
                sent = time.perf_counter()
                status, body = await exchange(reader, writer, request)
                answered = time.perf_counter()
                minute = minutes[min(int((answered - start) // 60), len(minutes) - 1)]
                minute.latencies.append(answered - sent)
                minute.lag = max(minute.lag, sent - due)
                if status in (429, 503):
                    minute.refused[reason(status, body)] += 1
                elif status >= 300:
                    minute.failed[reason(status, body)] += 1
        finally:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(CONNECTIONS)))


def _p(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(int(len(ordered) * share) - 1, 0)] * 1000 if ordered else float("nan")


def main() -> None:
    """Measure capacity, soak, print a line a minute and the verdict."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--share", type=float, default=0.8, help="of measured capacity")
    parser.add_argument("--rate", type=float, default=0, help="events/s instead of a share")
    parser.add_argument("--no-worker", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="autotriage-soak-") as tmp:
        root = Path(tmp)
        db = root / "soak.db"
        store = Store(f"sqlite:///{db}")
        store.migrate()
        with store.transaction() as session:
            key, _ = create_key(session, 1, "soak", utcnow())
        store.dispose()
        env = {
            "DATABASE_URL": f"sqlite:///{db}",
            "AUTOTRIAGE_WORKER": "false" if args.no_worker else "true",
            "INGEST_MAX_INFLIGHT": "256",
            "LOG_LEVEL": "warning",
        }
        with LiveServer(env, cwd=root) as server:
            assert server.process is not None
            pid = server.process.pid
            burst = [envelope(key, 10**9 + n) for n in range(1500)]
            capacity = measure(server, "/api/1/envelope/", burst, 16, key)["events_per_s"]
            rate = args.rate or capacity * args.share
            print(
                f"capacity {capacity:.0f} events/s (closed loop, 16 connections); soaking at "
                f"{rate:.0f}/s ({args.share:.0%}) for {args.minutes:g} min, worker "
                f"{'off' if args.no_worker else 'on'}, load average {os.getloadavg()[0]:.1f}"
            )
            print(
                f"{'min':>4}{'answered':>9}{'refused':>8}{'failed':>7}{'p50 ms':>9}"
                f"{'p99 ms':>9}{'lag s':>7}{'backlog':>8}{'RSS MB':>8}{'DB MB':>8}"
                f"{'CPU-s':>7}{'load':>6}"
            )
            minutes = [Minute() for _ in range(max(1, int(args.minutes + 0.999)))]
            seconds = args.minutes * 60
            rows: list[tuple[float, float]] = []
            reader = Store(f"sqlite:///{db}")

            async def run() -> None:
                task = asyncio.create_task(soak(server.url, key, rate, seconds, minutes))
                cpu0 = cpu_seconds(pid)
                for index, minute in enumerate(minutes, start=1):
                    await asyncio.wait(
                        {task}, timeout=max(0.0, min(60, seconds - 60 * (index - 1)))
                    )
                    rss = rss_mb(pid)
                    rows.append((rss, _p(minute.latencies, 0.99)))
                    pending = await asyncio.to_thread(backlog, reader)
                    print(
                        f"{index:>4}{len(minute.latencies):>9}{minute.refused.total():>8}"
                        f"{minute.failed.total():>7}{_p(minute.latencies, 0.5):>9.1f}"
                        f"{_p(minute.latencies, 0.99):>9.1f}{minute.lag:>7.1f}{pending:>8}"
                        f"{rss:>8.0f}{db_mb(db):>8.1f}"
                        f"{cpu_seconds(pid) - cpu0:>7.1f}{os.getloadavg()[0]:>6.1f}",
                        flush=True,
                    )
                await task

            try:
                uvloop.run(run())
            finally:
                reader.dispose()
        refused = sum((m.refused for m in minutes), Counter[str]())
        failed = sum((m.failed for m in minutes), Counter[str]())
        if len(rows) >= 3:
            (rss2, p992), (rss_last, p99_last) = rows[1], rows[-1]
            flat = rss_last <= rss2 * 1.25 + 20 and p99_last <= max(p992 * 2, 50)
            lag = max(m.lag for m in minutes)
            held = "rate held" if lag < 1 else f"RATE NOT HELD (up to {lag:.0f} s behind)"
            print(
                f"RSS {rss2:.0f} -> {rss_last:.0f} MB, p99 {p992:.1f} -> {p99_last:.1f} ms "
                f"(minute 2 -> last), refused {refused.total()}, failed {failed.total()}: "
                f"{'flat' if flat else 'NOT FLAT'}, {held}"
            )
        for label, tally in (("refused", refused), ("FAILED", failed)):
            for why, count in tally.most_common(5):
                print(f"{label} {count}: {why}")
        all_latencies = [x for m in minutes for x in m.latencies]
        print(
            f"overall: {len(all_latencies)} sent, p50 {_p(all_latencies, 0.5):.1f} ms, "
            f"p99 {_p(all_latencies, 0.99):.1f} ms, "
            f"mean {statistics.fmean(all_latencies or [0.0]) * 1000:.1f} ms"
        )
        sys.stdout.flush()


if __name__ == "__main__":
    main()
