"""The scrubber's CPU work on adversarial texts as instruction counts (callgrind), which a
loaded machine does not change: for comparing two versions where timings are noise.

Each input of `bench.redos` named (by substring) is scrubbed once, `scrub_text` on 1 MB,
in a fresh interpreter under ``valgrind --tool=callgrind``; a second run builds the same
text and does not scrub it, and the difference is printed, in millions of instructions
(Mi) per MB. Slow (about 20 s per input): name a few.

    .venv/bin/python -m bench.scrub_instructions key_values_short key_values_quoted
"""

from __future__ import annotations

import argparse

from bench import callgrind

_RUN = """
import sys
from bench.redos import SCRUB_FRAGMENTS, FRAGMENTS
from autotriage.understanding.scrub import scrub_text
fragment = {**FRAGMENTS, **SCRUB_FRAGMENTS}[sys.argv[1]]
size = int(sys.argv[2])
text = (fragment * (size // len(fragment) + 1))[:size]
if sys.argv[3] == "scrub":
    scrub_text(text)
"""


def instructions(name: str, size: int, scrub: bool) -> int:
    """Instructions callgrind counts for one interpreter that builds `name`'s text (and,
    when `scrub`, scrubs it)."""
    return callgrind.instructions(["-c", _RUN, name, str(size), "scrub" if scrub else "no"])


def main() -> None:
    """Print Mi per MB for each input named."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="+")
    parser.add_argument("--size", type=int, default=1024 * 1024)
    args = parser.parse_args()
    scale = (1024 * 1024) / args.size / 1e6
    print(f"{'input':<26}{'Mi per MB':>10}  (scrub_text, callgrind, net of building the text)")
    for name in args.names:
        net = instructions(name, args.size, True) - instructions(name, args.size, False)
        print(f"{name:<26}{net * scale:>10.1f}")


if __name__ == "__main__":
    main()
