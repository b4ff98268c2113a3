"""Hostile cases that do not hold yet, each with the finding it shows (issue 16).

`test_hostile.py` fails when a case outside this list fails, and when a listed case
starts to hold, so the list only shrinks. Values: (where, finding); where is "both",
"sqlite" or "postgres".
"""

from __future__ import annotations

KNOWN: dict[str, tuple[str, str]] = {}
KNOWN_AFTER: dict[str, tuple[str, str]] = {}
# Held since issue 16's edge work: resident memory on PostgreSQL (+209/218 MB before serve
# fixed glibc's mmap threshold, `autotriage.memory`) and a DeadlockDetected traceback (the
# outbox now retries recording an outcome, and the worker loop takes a conflict quietly).
