"""Freed memory goes back to the operating system: big buffers are mapped, not heaped.

glibc serves an allocation from its heap unless it is bigger than the mmap threshold, and
raises that threshold (up to 32 MiB) each time a mapped block is freed. A server that
reads a few 10 MB bodies thus ends up serving every later large buffer from the heap,
which fragments and never shrinks: resident memory climbs by hundreds of megabytes and
stays there. Fixing the threshold at 1 MiB (``mallopt(M_MMAP_THRESHOLD)``, which also
turns the raising off) maps every large buffer, so freeing it returns it at once. On a C
library without ``mallopt`` (musl, macOS) this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)
M_MMAP_THRESHOLD = -3  # glibc's <malloc.h>
MMAP_THRESHOLD_BYTES = 1024 * 1024


def map_large_buffers(threshold: int = MMAP_THRESHOLD_BYTES) -> bool:
    """Fix glibc's mmap threshold at `threshold` bytes; whether it took effect."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    done = bool(mallopt(M_MMAP_THRESHOLD, threshold))
    if not done:
        log.debug("mallopt(M_MMAP_THRESHOLD) was refused")
    return done
