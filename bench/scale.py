"""Scale on PostgreSQL: servers and `autotriage worker` processes on the job engine.

Usage (from the repository root): python -m bench.scale [--events 5000] [--kinds 20]
    [--storm 100000] [--storm-kinds 50] [--keep 1000] [--postgres-url URL]

Three runs, each on a fresh database with the fake GitHub behind it (mutations spaced
0.05 s rather than GitHub's 1 s, so the spacing does not hide the engine):

* 1 server + 1 worker, then 2 servers + 2 workers: `--events` events of `--kinds` errors
  (`--events 0` skips them);
* a storm of `--storm` events of `--storm-kinds` errors on 2 + 2 (exactly that many issues),
  then retention (`EVENTS_PER_GROUP_KEEP` = `--keep`) and the database size before/after.

Events are Sentry webhook deliveries, one event per request, from 8 sender threads. Each
run prints ingest events/s (acknowledged events over the burst's wall time),
grouping-to-issue latency p50/p99 (an error's first acknowledgement to its issue existing
on GitHub), CPU-seconds per process kind and for PostgreSQL, peak RSS per process, and the
database's cost per event: statements (pg_stat_statements), transactions, row writes, WAL
bytes, and rows and bytes kept. By default the benchmark starts a PostgreSQL cluster of its
own with pg_stat_statements loaded (so its statistics are the benchmark's alone);
`--postgres-url` uses an existing server instead (statements then only if it loads
pg_stat_statements).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from autotriage.jobs.retention import RetentionPolicy, apply_retention, database_bytes
from autotriage.models import utcnow
from autotriage.store import Store
from tests.e2e.faults.fleet import (
    Burst,
    PrivatePostgres,
    WorkerProcess,
    fleet_env,
    settled,
    start_servers,
    wait_listening,
)
from tests.fakes.github import FakeGitHub
from tests.support import LiveServer

TICK = os.sysconf("SC_CLK_TCK")
TABLES = ("events", "deliveries", "groups", "group_hashes", "actions", "links", "group_hours")


def fresh_database(admin_url: str) -> str:
    """A new, empty database on the server at `admin_url`; its URL."""
    name = f"autotriage_scale_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def cpu_seconds(pid: int | None, children: bool = False) -> float:
    """utime+stime of `pid` (and of its reaped children), from /proc."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    used = int(fields[11]) + int(fields[12])
    if children:
        used += int(fields[13]) + int(fields[14])
    return used / TICK


def postgres_cpu(cluster: PrivatePostgres | None) -> float | None:
    """CPU-seconds of the private cluster: the postmaster, its exited and live backends."""
    if cluster is None:
        return None
    master = int((cluster.data / "postmaster.pid").read_text().split()[0])
    total = cpu_seconds(master, children=True)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if parent == master:
                total += cpu_seconds(int(entry.name))
    return total


def fleet_cpu(servers: list[LiveServer], workers: list[WorkerProcess]) -> dict[str, float]:
    """CPU-seconds used so far by the servers and by the workers."""
    return {
        "servers": sum(cpu_seconds(s.process.pid if s.process else None) for s in servers),
        "workers": sum(cpu_seconds(w.process.pid if w.process else None) for w in workers),
    }


def peak_rss_mb(pid: int | None) -> float:
    """VmHWM: the most resident memory `pid` ever had, in MiB."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except (OSError, TypeError):
        return 0.0
    line = next((x for x in status.splitlines() if x.startswith("VmHWM:")), "VmHWM: 0 kB")
    return int(line.split()[1]) / 1024


def percentile(values: list[float], q: float) -> float:
    """The `q` quantile (nearest rank) of `values`."""
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


def db_counters(store: Store, statements: bool) -> dict[str, float]:
    """Cumulative statistics of this database (and the cluster's WAL)."""
    with store.reading() as session:
        row = session.execute(
            text(
                "SELECT xact_commit, tup_inserted + tup_updated + tup_deleted "
                "FROM pg_stat_database WHERE datname = current_database()"
            )
        ).one()
        wal = session.scalar(text("SELECT wal_bytes FROM pg_stat_wal"))
        calls = None
        if statements:
            calls = session.scalar(
                text(
                    "SELECT sum(calls) FROM pg_stat_statements s JOIN pg_database d "
                    "ON d.oid = s.dbid WHERE d.datname = current_database()"
                )
            )
    return {
        "commits": float(row[0]),
        "writes": float(row[1]),
        "wal": float(wal or 0),
        "statements": float(calls or 0),
    }


def kept(store: Store) -> tuple[int, int]:
    """Rows and bytes (with indexes and TOAST) in autotriage's and the engine's tables."""
    rows = size = 0
    with store.reading() as session:
        for table in (*TABLES, "procrastinate_jobs", "procrastinate_events"):
            rows += int(session.scalar(text(f"SELECT count(*) FROM {table}")) or 0)  # noqa: S608
            size += int(session.scalar(text(f"SELECT pg_total_relation_size('{table}')")) or 0)
    return rows, size


def has_statements(admin_url: str) -> bool:
    """Whether pg_stat_statements is loaded (it must be preloaded to count anything)."""
    engine = create_engine(admin_url)
    try:
        with engine.connect() as conn:
            loaded = conn.scalar(text("SHOW shared_preload_libraries"))
            return "pg_stat_statements" in str(loaded)
    finally:
        engine.dispose()


@dataclass
class Result:
    """One run's figures."""

    label: str
    events: int
    kinds: int
    ingest_seconds: float
    drained_seconds: float
    latencies: list[float]
    issues: int
    cpu: dict[str, float]
    rss: list[str]
    per_event: dict[str, float]
    store: Store
    extra: list[str] = field(default_factory=list)


def run(
    admin_url: str,
    cluster: PrivatePostgres | None,
    servers_n: int,
    workers_n: int,
    events: int,
    kinds: int,
    label: str,
) -> Result:
    """One fleet, one burst, until every event is grouped and every action done."""
    url = fresh_database(admin_url)
    statements = has_statements(admin_url)
    work = Path(tempfile.mkdtemp(prefix="autotriage-scale-"))
    fake = FakeGitHub(min_spacing=0.05, secondary_per_minute=None).start()
    env = fleet_env(fake, url, work / "checkout")
    env["AUTOTRIAGE_ACTION_LEASE_SECONDS"] = "60"
    env["RETENTION_INTERVAL_SECONDS"] = "0"  # retention is measured apart, after the burst
    servers = start_servers(env, work, servers_n)
    workers = [WorkerProcess(env, work, f"worker-{n}").start() for n in range(workers_n)]
    store = Store(url)
    wait_listening(store, 2 * workers_n)  # each worker LISTENs on its two queues
    if statements:
        with store.engine.connect() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_stat_statements"))
            conn.execute(text("SELECT pg_stat_statements_reset()"))
            conn.commit()
    before = db_counters(store, statements)
    pg_before = postgres_cpu(cluster)
    cpu_before = fleet_cpu(servers, workers)
    watch = IssueWatch(fake)
    burst = Burst(lambda: [s.url for s in servers], events, kinds)
    first_ack: dict[int, float] = {}
    stop_notes = threading.Event()

    def note_first_acks() -> None:
        while not stop_notes.wait(0.005):
            with burst.lock:
                for kind in set(burst.acked.values()) - set(first_ack):
                    first_ack[kind] = time.monotonic()

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
    latencies = [
        watch.seen[title] - acked_at
        for kind, acked_at in first_ack.items()
        if (title := f"[sentry] Error{kind}: it broke") in watch.seen
    ]
    after = db_counters(store, statements)
    pg_after = postgres_cpu(cluster)
    cpu = {key: value - cpu_before[key] for key, value in fleet_cpu(servers, workers).items()}
    if pg_before is not None and pg_after is not None:
        cpu["postgres"] = pg_after - pg_before
    rss = [f"server {peak_rss_mb(s.process.pid if s.process else None):.0f}" for s in servers]
    rss += [f"worker {peak_rss_mb(w.process.pid if w.process else None):.0f}" for w in workers]
    rows, size = kept(store)
    per_event = {key: (after[key] - before[key]) / events for key in after}
    per_event["rows kept"] = rows / events
    per_event["bytes kept"] = size / events
    if not statements:
        per_event.pop("statements")
    for process in (*workers, *servers):
        process.stop()
    fake.stop()
    return Result(
        label,
        events,
        kinds,
        ingest_seconds,
        drained,
        latencies,
        len(fake.issues.items),
        cpu,
        rss,
        per_event,
        store,
    )


def report(result: Result) -> None:
    """Print one run's lines."""
    r = result
    cpu = ", ".join(
        f"{name} {seconds:.1f} s ({1000 * seconds / r.events:.2f} ms/event)"
        for name, seconds in r.cpu.items()
    )
    cost = ", ".join(
        f"{value:,.0f} {key}" if key in ("wal", "bytes kept") else f"{value:.2f} {key}"
        for key, value in r.per_event.items()
    )
    print(
        f"{r.label}: {r.events:,} events of {r.kinds} errors; ingest "
        f"{r.events / r.ingest_seconds:,.0f} events/s ({r.ingest_seconds:.1f} s); all grouped "
        f"and issued after {r.drained_seconds:.1f} s; grouping-to-issue p50 "
        f"{percentile(r.latencies, 0.5):.2f} s, p99 {percentile(r.latencies, 0.99):.2f} s; "
        f"issues {r.issues}",
        flush=True,
    )
    print(f"  CPU-seconds: {cpu}", flush=True)
    print(f"  peak RSS MiB: {', '.join(r.rss)}", flush=True)
    print(f"  per event: {cost} (wal, bytes in bytes)", flush=True)
    for line in r.extra:
        print(f"  {line}", flush=True)


def storm_retention(store: Store, keep: int) -> str:
    """Retention after the storm: what it deleted and the database before and after."""
    size = database_bytes(store) or 0
    started = time.monotonic()
    gone = apply_retention(store, RetentionPolicy(keep_per_group=keep), utcnow())
    took = time.monotonic() - started
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM FULL"))
    with store.reading() as session:
        left = int(session.scalar(text("SELECT count(*) FROM events")) or 0)
    return (
        f"database {size / 2**20:,.1f} MiB before retention; retention (keep {keep} per "
        f"group) deleted {gone.total:,} rows in {took:.1f} s, {left:,} events left; "
        f"{(database_bytes(store) or 0) / 2**20:,.1f} MiB after VACUUM FULL"
    )


def main() -> int:
    """Run the three fleets and print their figures."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--kinds", type=int, default=20)
    parser.add_argument("--storm", type=int, default=100_000)
    parser.add_argument("--storm-kinds", type=int, default=50)
    parser.add_argument("--keep", type=int, default=1000)
    parser.add_argument("--postgres-url", default=None)
    args = parser.parse_args()
    cluster = None
    if args.postgres_url is None:
        cluster = PrivatePostgres(
            "-c shared_preload_libraries=pg_stat_statements", "-c max_connections=200"
        ).start()
    admin_url = args.postgres_url or (cluster.url if cluster else "")
    print(f"load average at start: {os.getloadavg()}", flush=True)
    try:
        for servers, workers in ((1, 1), (2, 2)) if args.events else ():
            result = run(
                admin_url,
                cluster,
                servers,
                workers,
                args.events,
                args.kinds,
                f"{servers}+{workers}",
            )
            report(result)
            result.store.dispose()
        if args.storm:
            result = run(admin_url, cluster, 2, 2, args.storm, args.storm_kinds, "storm 2+2")
            result.extra.append(storm_retention(result.store, args.keep))
            report(result)
            result.store.dispose()
    finally:
        if cluster is not None:
            cluster.destroy()
    print(f"load average at end: {os.getloadavg()}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
