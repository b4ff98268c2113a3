"""Storm: many events of a few distinct errors through real server processes, fake GitHub behind.

Usage: python -m bench.storm [--events 100000] [--distinct 50] [--senders 8]
                             [--interval 1.0] [--postgres-url URL] [--skip-postgres]

Phase 1 runs one ``autotriage serve`` on SQLite; phase 2 runs two server processes
sharing one fresh PostgreSQL database, with events spread over both. Each phase prints
the events never acknowledged after 5 tries (each shed answer's Retry-After waited, up to
5 s; must be 0), the issues created (must equal --distinct), total and mutating GitHub
requests, requests sent while a rate-limit pause was in force (must be 0), mutations
closer than the interval, wall time and the servers' peak memory (VmHWM). One secondary
rate limit is injected in each phase so the pause is exercised.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from autotriage.store import Store
from autotriage.store.tables import Action, Event
from tests.fakes.github import FakeGitHub, Fault
from tests.support import LiveServer, make_git_repo


def _payload(index: int, distinct: int) -> bytes:
    kind = index % distinct
    event_id = uuid.uuid4().hex
    frame = {
        "filename": f"app/mod{kind}.py",
        "function": f"handler{kind}",
        "lineno": 10 + kind,
        "in_app": True,
    }
    event = {
        "event_id": event_id,
        "level": "error",
        "release": "1.0.0",
        "exception": {
            "values": [
                {
                    "type": f"Storm{kind}Error",
                    "value": f"request {index} failed",
                    "stacktrace": {"frames": [frame]},
                }
            ]
        },
    }
    return json.dumps({"id": event_id, "url": "https://sentry.example/1", "event": event}).encode()


def _fire(urls: list[str], total: int, distinct: int, senders: int) -> Counter[str]:
    """Post every event, retrying up to 5 times; the events never acknowledged, by the
    last answer (a shed answer's ``Retry-After`` is waited, up to 5 s, as senders do)."""
    refused: Counter[str] = Counter()
    lock = threading.Lock()

    def send(start: int) -> None:
        with httpx.Client(timeout=60) as client:
            for index in range(start, total, senders):
                url = urls[index % len(urls)]
                body = _payload(index, distinct)
                last = "no answer"
                for _ in range(5):
                    # a timed-out post may have been stored: resending the same event id is
                    # safe (intake drops known ids), as a real sender's retry would be
                    try:
                        response = client.post(f"{url}/webhook/sentry?token=k", content=body)
                    except httpx.HTTPError as exc:
                        last = type(exc).__name__
                        continue
                    if response.status_code == 200:
                        break
                    last = str(response.status_code)
                    if response.status_code in (429, 503):
                        time.sleep(min(float(response.headers.get("retry-after") or 1), 5.0))
                else:
                    with lock:
                        refused[last] += 1

    threads = [threading.Thread(target=send, args=(i,)) for i in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return refused


def _settled(store: Store) -> bool:
    with store.reading() as session:
        pending = session.scalar(
            select(func.count()).select_from(Event).where(Event.status == "pending")
        )
        busy = session.scalar(
            select(func.count())
            .select_from(Action)
            .where(
                Action.kind.like("github.%"), Action.status.in_(("pending", "running", "retryable"))
            )
        )
        return pending == 0 and busy == 0


def _peak_kib(server: LiveServer) -> int:
    if server.process is None:
        return 0
    for line in Path(f"/proc/{server.process.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def phase(
    name: str, database_url: str, replicas: int, args: argparse.Namespace, work: Path
) -> bool:
    """Run one storm; print its figures; return whether it met the targets."""
    fake = FakeGitHub(min_spacing=args.interval, secondary_per_minute=80).start()
    fake.inject(Fault("secondary", "POST", r"/comments$", retry_after=3))
    env = {
        "DATABASE_URL": database_url,
        "WEBHOOK_SECRET": "k",
        "LOG_LEVEL": "warning",
        # analysis reads a local checkout; the fake GitHub serves no git protocol
        "REPO_PATH": str(make_git_repo(work / "checkout")),
        "GITHUB_TOKEN": fake.token,
        "GITHUB_OWNER": fake.owner,
        "GITHUB_REPO": fake.repo,
        "GITHUB_API_URL": fake.url,
        "GITHUB_MUTATION_INTERVAL": str(args.interval),
    }
    servers = [LiveServer(env, work).start() for _ in range(replicas)]
    started = time.monotonic()
    try:
        refused = _fire([s.url for s in servers], args.events, args.distinct, args.senders)
        fired = time.monotonic() - started
        store = Store(database_url)
        while not _settled(store):
            time.sleep(0.5)
        wall = time.monotonic() - started
        peaks = [_peak_kib(s) for s in servers]
        store.dispose()
    finally:
        for server in servers:
            server.stop()
        fake.stop()
    stats = fake.stats
    print(f"== {name}: {args.events:,} events of {args.distinct} errors, {replicas} server(s)")
    print(f"   events never acknowledged    : {sum(refused.values())} {dict(refused)}")
    print(f"   events fired in              : {fired:.1f} s ({args.events / fired:,.0f}/s)")
    print(f"   issues created               : {stats.creates}")
    print(f"   GitHub requests total        : {stats.requests}")
    print(f"   GitHub mutating requests     : {stats.mutating}")
    print(f"   requests past a pause        : {stats.during_pause}")
    print(f"   in flight when a pause began : {stats.in_flight_at_pause}")
    print(f"   mutations < interval apart   : {stats.spacing_violations}")
    print(f"   conditional reads (304)      : {stats.not_modified}")
    print(f"   contract violations          : {len(fake.violations)}")
    print(f"   wall time                    : {wall:.1f} s")
    print(f"   peak memory per server       : {', '.join(f'{p / 1024:.0f} MiB' for p in peaks)}")
    top = ", ".join(f"{k} {v}" for k, v in stats.by_route.most_common(6))
    print(f"   requests by route            : {top}")
    acknowledged = not refused  # a sender that waits out Retry-After loses nothing
    return (
        acknowledged
        and stats.creates == args.distinct
        and stats.during_pause == 0
        and not fake.violations
    )


def _postgres(admin_url: str, name: str, create: bool) -> str:
    admin = create_engine(
        make_url(admin_url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        if create:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        else:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def main() -> None:
    """Parse arguments and run both phases."""
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--distinct", type=int, default=50)
    parser.add_argument("--senders", type=int, default=4)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--workdir", help="keep server logs here (default: a temporary folder)")
    args = parser.parse_args()
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.workdir or tmp)
        work.mkdir(parents=True, exist_ok=True)
        if not args.skip_sqlite:
            ok &= phase("SQLite, one server", f"sqlite:///{work / 'storm.db'}", 1, args, work)
        if not args.skip_postgres:
            name = f"autotriage_storm_{uuid.uuid4().hex[:8]}"
            url = _postgres(args.postgres_url, name, create=True)
            try:
                ok &= phase("PostgreSQL, two servers", url, 2, args, work)
            finally:
                _postgres(args.postgres_url, name, create=False)
    print("targets met" if ok else "TARGETS MISSED")


if __name__ == "__main__":
    main()
