"""Instructions per Sentry event from request body to inbox row (callgrind), which a
loaded machine does not change: for comparing two versions where timings are noise.

The in-process path a DSN post takes once admitted: the gzip'd body inflated
(`autotriage.web.ingest.inflate`), the envelope split and its event mapped
(`parse_envelope`, `extract`: JSON, depth check, ``ErrorEvent``), then scrubbed and
serialized as the inbox stores it (`autotriage.intake.inbox_row`). The HTTP stack, the
key lookup and the commit are left out (`bench/ingest_sentry.py` measures them live).

Envelopes are made once (by sentry-sdk with ``--sdk``, else the hand-built default of
`bench.ingest_sentry`) and written to a file; then, each in a fresh interpreter under
``valgrind --tool=callgrind``, one run takes a warm-up of envelopes and `--events` more
through the path, another the warm-up alone. The difference over `--events` is
printed: instructions per event in steady state (the frame cache warm, as in a server).

    .venv/bin/python -m bench.ingest_instructions [--sdk] [--events 200] [--warmup 50]
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from bench import callgrind
from bench.ingest_sentry import envelope, sdk_envelopes

KEY = "0123456789abcdef0123456789abcdef"
LIMIT = 20 * 1024 * 1024

_RUN = """
import sys
from autotriage.intake import inbox_row
from autotriage.sources.sentry.envelope import extract, parse_envelope
from autotriage.web.ingest import inflate

data, bodies, at = open(sys.argv[1], "rb").read(), [], 0
while at < len(data):
    size = int.from_bytes(data[at : at + 4], "big")
    bodies.append(data[at + 4 : at + 4 + size])
    at += 4 + size
warmup, events = int(sys.argv[2]), int(sys.argv[3])

def ingest(body):
    data = inflate(body, "gzip", int(sys.argv[4]))
    for event in extract(parse_envelope(data)).events:
        inbox_row(event)

for body in bodies[: warmup + events]:
    ingest(body)
"""


def read_bodies(data: bytes) -> list[bytes]:
    """The envelopes of a bodies file: each after its length (4 bytes, big-endian)."""
    bodies: list[bytes] = []
    at = 0
    while at < len(data):
        size = int.from_bytes(data[at : at + 4], "big")
        bodies.append(data[at + 4 : at + 4 + size])
        at += 4 + size
    return bodies


def instructions(bodies: Path, warmup: int, events: int) -> int:
    """Instructions callgrind counts for one interpreter taking `warmup` and then
    `events` envelopes of `bodies` through the path."""
    # One hash seed: dict and set layouts, and so their probing, alike in every run.
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    return callgrind.instructions(
        ["-c", _RUN, str(bodies), str(warmup), str(events), str(LIMIT)], env
    )


def main() -> None:
    """Print instructions per event for the chosen envelopes."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sdk", action="store_true", help="envelopes made by sentry-sdk")
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument(
        "--bodies",
        type=Path,
        help="read the envelopes from this file, or write them there first: the same "
        "envelopes (ids, times) for each version compared",
    )
    args = parser.parse_args()
    count = args.warmup + args.events
    with tempfile.TemporaryDirectory() as tmp:
        path = args.bodies or Path(tmp) / "bodies"  # each body after its length (4 bytes)
        if not path.exists():
            made = sdk_envelopes(KEY, count) if args.sdk else None
            bodies = made or [envelope(KEY, n) for n in range(count)]
            path.write_bytes(b"".join(len(b).to_bytes(4, "big") + b for b in bodies))
        bodies = read_bodies(path.read_bytes())
        if len(bodies) < count:
            raise SystemExit(f"{path} holds {len(bodies)} envelopes; {count} are needed")
        total = instructions(path, args.warmup, args.events)
        base = instructions(path, args.warmup, 0)
    kind = "sentry-sdk" if args.sdk else "default"
    size = sum(len(b) for b in bodies[:count]) / count
    print(
        f"{kind} envelopes ({size / 1024:.1f} KB gzip'd), {args.events} events after "
        f"{args.warmup} warm-up: {(total - base) / args.events:,.0f} instructions per event"
    )


if __name__ == "__main__":
    main()
