"""Count the instructions a Python command runs, under ``valgrind --tool=callgrind``.

Instruction counts do not move with the machine's load, so the benchmarks that compare
versions of a hot path (`bench.ingest_instructions`, `bench.scrub_instructions`) use them.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path


def instructions(args: list[str], env: Mapping[str, str] | None = None) -> int:
    """Instructions callgrind collected running ``python <args>`` (this interpreter)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
        command += [sys.executable, *args]
        done = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
        found = re.search(r"Collected : (\d+)", done.stderr)
        if found is None:
            raise RuntimeError(done.stderr[-2000:])
        return int(found.group(1))
