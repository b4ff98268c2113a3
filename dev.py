#!/usr/bin/env python3
"""Install autotriage into ./.venv and run it: ``python3 dev.py serve`` or ``python3 dev.py test``.

Needs only Python 3.11+ and git. The virtualenv is (re)built whenever pyproject.toml or
constraints.txt change, with the exact versions pinned in constraints.txt.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".autotriage-installed"


def _run(*args: str | Path, **kwargs: object) -> None:
    subprocess.run([str(a) for a in args], check=True, cwd=ROOT, **kwargs)  # type: ignore[call-overload]


def install() -> None:
    """Create the virtualenv and install the pinned dependencies, if anything changed."""
    digest = hashlib.sha256()
    for name in ("pyproject.toml", "constraints.txt"):
        path = ROOT / name
        digest.update(path.read_bytes() if path.exists() else b"")
    wanted = digest.hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not (BIN / "python").exists():
        print("dev.py: creating .venv", file=sys.stderr)
        venv.create(VENV, with_pip=True)
    print("dev.py: installing dependencies (pinned by constraints.txt)", file=sys.stderr)
    pip = [BIN / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    constraints = ["-c", "constraints.txt"] if (ROOT / "constraints.txt").exists() else []
    _run(*pip, *constraints, "-e", ".[dev]")
    STAMP.write_text(wanted)


def main() -> int:
    """Dispatch ``serve``, ``test`` or any other autotriage command."""
    args = sys.argv[1:] or ["serve"]
    install()
    if args[0] == "test":
        _run(BIN / "ruff", "check", "src", "tests", "bench")
        _run(BIN / "mypy")
        # Two workers by default: the suite is mostly waiting on servers and subprocesses.
        workers = [] if any(a == "-n" or a.startswith("-n") for a in args[1:]) else ["-n", "2"]
        result = subprocess.run(
            [str(BIN / "pytest"), *workers, *args[1:]], cwd=ROOT, check=False
        )
        return result.returncode
    os.execv(BIN / "autotriage", [str(BIN / "autotriage"), *args])
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except subprocess.CalledProcessError as failed:
        print(
            f"dev.py: {' '.join(map(str, failed.cmd))} failed (exit {failed.returncode})",
            file=sys.stderr,
        )
        sys.exit(failed.returncode or 1)
