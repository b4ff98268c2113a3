"""glibc's mmap threshold: fixed, so a freed big buffer leaves no resident memory behind."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys
from pathlib import Path
from autotriage.memory import map_large_buffers

def rss():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) // 1024

if sys.argv[1] == "fixed":
    assert map_large_buffers()
start = rss()
first = bytearray(16 << 20)
del first  # glibc now serves buffers up to 16 MB from its heap, unless the threshold is fixed
pins = []
for n in range(30):
    body = bytearray((4 << 20) + n * 65536)  # a request body, a little bigger each time
    body[::4096] = b"x" * len(body[::4096])  # touched, so resident
    pins.append(bytearray(2000))  # something small that outlives it, above it in the heap
    del body
print(rss() - start)
"""


def _growth(mode: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True, check=True
    )
    return int(done.stdout.strip())


def test_big_freed_buffers_go_back_to_the_system() -> None:
    # The script asserts that glibc took the setting; the hostile run's after-run memory
    # check (tests/hostile) is where the heap growth it prevents shows.
    assert _growth("fixed") < 16  # MB: mapped, then unmapped when freed
