"""The scrubber's speed: ms per MB on each adversarial text, and µs per sentry-sdk event.

Every text of `bench.redos` (its general fragments and `SCRUB_FRAGMENTS`, one or more per
rule: near misses, floods of real-format secrets, long runs of a rule's class), plus one
that holds them all at once with a real sample of every corpus kind (so every rule's gate
and shape check passes), each 1 MB, through `scrub_text` (emails on), `scrub_text` with
IPs, and `scrub_value` on ``{text: text}`` (a key and a value: 2 MB of text, so its figure
is halved to stay per MB). Target: < 100 ms per MB. CPU time, so a busy machine's waits
don't count (its cache misses do).

Then the cost per event that sentry-sdk builds with its defaults (local variables, module
list; `bench.ingest_sentry.sdk_envelopes`), parsed as intake parses it, through
`scrub_payload`: with the walker's memo warm (events differ in user, tags, breadcrumbs and
frame variables, as in the ingest benchmark) and cold (memo cleared before each event).

    .venv/bin/python -m bench.scrub_speed [--size 1048576] [--events 1000] [--only NAME]
        [--repeat 3]
"""

from __future__ import annotations

import argparse
import gc
import gzip
import json
import time
from collections.abc import Callable

from autotriage.sources.registry import REGISTRY
from autotriage.understanding import scrub
from bench.ingest_sentry import sdk_envelopes
from bench.redos import adversarial
from tests.support import fixture_path


def mixed(size: int) -> str:
    """A real sample of every corpus kind, then every fragment in turn, up to `size`."""
    doc = json.loads(fixture_path("secrets", "corpus.json").read_text(encoding="utf-8"))
    samples = " ".join(sample["text"] for kind in doc["kinds"] for sample in kind["samples"])
    texts = adversarial(size // 60)
    return (samples + " " + "".join(texts.values()))[:size]


def texts(size: int) -> dict[str, str]:
    """Every adversarial text of `size` characters, the mixed one last."""
    out = adversarial(size)
    out["mixed_all_rules"] = mixed(size)
    return out


TARGETS: dict[str, Callable[[str], object]] = {
    "text": scrub.scrub_text,
    "text+ips": lambda text: scrub.scrub_text(text, ips=True),
    "key+value": lambda text: scrub.scrub_value({text: text}, scrub.ScrubPolicy(ips=True)),
}


REPEAT = 3
"""Runs per call (`--repeat`): the least CPU time is kept, as in `bench.redos` (noise on a
shared machine only adds time)."""


def cpu_ms(call: Callable[[str], object], text: str) -> float:
    """CPU milliseconds for one call, the least of `REPEAT` runs."""
    best = float("inf")
    for _ in range(REPEAT):
        start = time.process_time()
        call(text)
        best = min(best, time.process_time() - start)
    return best * 1000


def adversarial_table(size: int, only: str) -> float:
    """Print ms per MB for each text and target; return the largest."""
    scale = (1024 * 1024) / size
    print(f"{'input':<26}" + "".join(f"{name:>11}" for name in TARGETS) + "   (ms per MB)")
    worst = ("", "", 0.0)
    for label, text in texts(size).items():
        if only and only not in label:
            continue
        row = {name: cpu_ms(call, text) * scale for name, call in TARGETS.items()}
        row["key+value"] /= 2  # the text twice, as key and as value
        print(f"{label:<26}" + "".join(f"{ms:>11.1f}" for ms in row.values()))
        name, ms = max(row.items(), key=lambda item: item[1])
        if ms > worst[2]:
            worst = (label, name, ms)
    flag = "" if worst[2] < 100 else "  OVER the 100 ms target"
    print(f"max: {worst[2]:.1f} ms per MB ({worst[0]}, {worst[1]}){flag}")
    return worst[2]


def _clear_memos() -> None:
    for walker in scrub._WALKERS.values():
        walker.seen.clear()
        walker.secret_keys.clear()
        walker.remembered.clear()
        walker.remembered_bytes = 0


def per_event(count: int) -> None:
    """Print µs per sentry-sdk default event through `scrub_payload`, memo warm and cold."""
    bodies = sdk_envelopes("a" * 32, count + 100)
    parse = REGISTRY["sentry_envelope"].parse
    events = [parse(gzip.decompress(body), {})[0] for body in bodies]
    size = len(json.dumps(events[0].raw)) + len(events[0].model_dump_json())
    gc.collect()
    gc.freeze()  # the parsed events stay: don't let the collector walk them each time
    best_warm = best_cold = float("inf")
    for _ in range(3):
        _clear_memos()
        for event in events[:100]:
            scrub.scrub_payload(event)
        start = time.process_time()
        for event in events[100:]:
            scrub.scrub_payload(event)
        best_warm = min(best_warm, (time.process_time() - start) / count * 1e6)
        cold = 0.0
        for event in events[100:300]:
            _clear_memos()
            start = time.process_time()
            scrub.scrub_payload(event)
            cold += time.process_time() - start
        best_cold = min(best_cold, cold / 200 * 1e6)
    print(f"sentry-sdk default event (~{size // 1024} KB as JSON), scrub_payload, best of 3:")
    print(f"  memo warm: {best_warm:.1f} µs per event ({count} events)")
    print(f"  memo cold: {best_cold:.1f} µs per event (200 events)")


def main() -> None:
    """Print both tables."""
    global REPEAT
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=1024 * 1024)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--only", default="")
    parser.add_argument("--repeat", type=int, default=REPEAT, help="runs per call, least taken")
    args = parser.parse_args()
    REPEAT = max(1, args.repeat)
    with open("/proc/loadavg", encoding="ascii") as load:
        print(f"load average: {' '.join(load.read().split()[:3])}")
    adversarial_table(args.size, args.only)
    if not args.only:
        per_event(args.events)


if __name__ == "__main__":
    main()
