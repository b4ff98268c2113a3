"""Scale on PostgreSQL: servers and `autotriage worker` processes on the job engine.

Usage: python bench/scale.py [--events 5000] [--kinds 20] [--storm 100000]
                             [--storm-kinds 50] [--keep 100] [--postgres-url URL]

Three runs, each on a fresh database with the fake GitHub behind it (mutations spaced
0.05 s rather than GitHub's 1 s, so the spacing does not hide the engine):

* 1 server + 1 worker, then 2 servers + 2 workers, `--events` events of `--kinds` errors;
* a storm of `--storm` events of `--storm-kinds` errors on 2 + 2 (exactly that many issues).

For each it prints ingest events/s (acknowledged events over the burst's wall time),
grouping-to-issue latency p50/p99 (from an error's first acknowledgement to its issue
existing on GitHub), the time until everything is grouped, and the peak RSS of every
process. The storm also prints the database size before and after retention
(`EVENTS_PER_GROUP_KEEP` = `--keep`, then VACUUM FULL) and the per-event database cost:
rows and bytes per event and transactions and row writes per event from PostgreSQL's
statistics views.
"""

# ruff: noqa: E402 -- the imports below need the repository root on sys.path first
from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "e2e" / "faults")]

from fleet import Burst, WorkerProcess, fleet_env, settled, start_servers

from autotriage.jobs.retention import RetentionPolicy, apply_retention
from autotriage.models import utcnow
from autotriage.store import Store
from autotriage.store.tables import Event
from tests.fakes.github import FakeGitHub

TABLES = (
    "events",
    "deliveries",
    "groups",
    "group_hashes",
    "actions",
    "links",
    "procrastinate_jobs",
)


def fresh_database(admin_url: str) -> str:
    name = f"autotriage_scale_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def peak_rss_mb(pid: int | None) -> float:
    if pid is None:
        return 0.0
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class IssueWatch:
    """Notes when each error's issue first exists on the fake GitHub."""

    def __init__(self, fake: FakeGitHub) -> None:
        self.fake = fake
        self.seen: dict[str, float] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.wait(0.01):
            for issue in list(self.fake.issues.items.values()):
                self.seen.setdefault(issue.title, time.monotonic())


def db_stats(store: Store) -> dict[str, float]:
    with store.reading() as session:
        row = session.execute(
            text(
                "SELECT xact_commit, tup_inserted, tup_updated, tup_deleted "
                "FROM pg_stat_database WHERE datname = current_database()"
            )
        ).one()
        size = session.scalar(select(func.pg_database_size(func.current_database())))
    return {
        "commits": float(row[0]),
        "writes": float(row[1] + row[2] + row[3]),
        "bytes": float(size or 0),
    }


def table_cost(store: Store) -> tuple[int, int]:
    """Rows and bytes (with indexes and TOAST) in autotriage's and the engine's tables."""
    rows = size = 0
    with store.reading() as session:
        for table in TABLES:
            rows += int(session.scalar(text(f"SELECT count(*) FROM {table}")) or 0)  # noqa: S608
            size += int(session.scalar(text(f"SELECT pg_total_relation_size('{table}')")) or 0)
    return rows, size


def run(
    admin_url: str, servers_n: int, workers_n: int, events: int, kinds: int, label: str
) -> Store:
    url = fresh_database(admin_url)
    work = Path(tempfile.mkdtemp(prefix="autotriage-scale-"))
    fake = FakeGitHub(min_spacing=0.05, secondary_per_minute=None).start()
    env = fleet_env(fake, url, work / "checkout")
    env["AUTOTRIAGE_ACTION_LEASE_SECONDS"] = "60"
    servers = start_servers(env, work, servers_n)
    workers = [WorkerProcess(env, work, f"worker-{n}").start() for n in range(workers_n)]
    store = Store(url)
    time.sleep(3)  # the workers open their pools and LISTEN
    before = db_stats(store)
    watch = IssueWatch(fake)
    burst = Burst(lambda: [s.url for s in servers], events, kinds)
    first_ack: dict[int, float] = {}

    def note_first_acks() -> None:
        while not stop_notes.wait(0.005):
            with burst.lock:
                for kind in set(burst.acked.values()) - set(first_ack):
                    first_ack[kind] = time.monotonic()

    stop_notes = threading.Event()
    notes = threading.Thread(target=note_first_acks, daemon=True)
    notes.start()
    started = time.monotonic()
    burst.run(threads=8)
    ingest_seconds = time.monotonic() - started
    while not settled(store) or len(fake.issues.items) < kinds:
        time.sleep(0.1)
    drained = time.monotonic() - started
    stop_notes.set()
    watch.stop.set()
    latencies = []
    for kind, acked_at in first_ack.items():
        title = f"[sentry] Error{kind}: it broke"
        if title in watch.seen:
            latencies.append(watch.seen[title] - acked_at)
    after = db_stats(store)
    rss = [f"server {peak_rss_mb(s.process.pid if s.process else None):.0f}" for s in servers]
    rss += [f"worker {peak_rss_mb(w.process.pid if w.process else None):.0f}" for w in workers]
    print(
        f"{label}: {events:,} events of {kinds} errors; ingest {events / ingest_seconds:,.0f} "
        f"events/s ({ingest_seconds:.1f} s); all grouped and issued after {drained:.1f} s; "
        f"grouping-to-issue latency p50 {percentile(latencies, 0.5):.2f} s, "
        f"p99 {percentile(latencies, 0.99):.2f} s; issues {len(fake.issues.items)} "
        f"(creates {fake.stats.creates}); peak RSS MiB: {', '.join(rss)}"
    )
    commits = (after["commits"] - before["commits"]) / events
    writes = (after["writes"] - before["writes"]) / events
    rows, size = table_cost(store)
    print(
        f"{label}: per event: {commits:.2f} transactions, {writes:.2f} row writes, "
        f"{rows / events:.2f} rows and {size / events:,.0f} bytes kept (tables + indexes)"
    )
    for process in (*workers, *servers):
        process.stop()
    fake.stop()
    return store


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--kinds", type=int, default=20)
    parser.add_argument("--storm", type=int, default=100_000)
    parser.add_argument("--storm-kinds", type=int, default=50)
    parser.add_argument("--keep", type=int, default=100)
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    for servers, workers in ((1, 1), (2, 2)):
        run(
            args.postgres_url, servers, workers, args.events, args.kinds, f"{servers}+{workers}"
        ).dispose()
    if args.storm:
        store = run(args.postgres_url, 2, 2, args.storm, args.storm_kinds, "storm 2+2")
        size = db_stats(store)["bytes"]
        started = time.monotonic()
        report = apply_retention(store, RetentionPolicy(keep_per_group=args.keep), utcnow())
        took = time.monotonic() - started
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM FULL"))
        with store.reading() as session:
            left = session.scalar(select(func.count()).select_from(Event))
        print(
            f"storm: database {size / 2**20:,.1f} MiB before retention; retention "
            f"(keep {args.keep} per group) deleted {report.total:,} rows in {took:.1f} s, "
            f"{left:,} events left; {db_stats(store)['bytes'] / 2**20:,.1f} MiB after VACUUM FULL"
        )
        store.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
