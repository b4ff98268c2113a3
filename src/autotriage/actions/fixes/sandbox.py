"""Running a repository's commands isolated: no credentials, no network, bounded time and
resources, in a fresh worktree that is removed afterwards.

Isolation is what the OS allows, detected once: bubblewrap (``bwrap --unshare-net``) when
installed, else an unprivileged user+network namespace (``unshare -rn``), else none. Which
one was used is reported, so a pull request can say it.
"""

from __future__ import annotations

import contextlib
import os
import re
import resource
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from autotriage.analysis.git import run_git

# Variables a test run must never see: vendor credentials and anything named like one.
_DROP_PREFIXES = (
    "GITHUB_",
    "GH_",
    "GIT_CONFIG_",
    "AWS_",
    "SENTRY_",
    "SLACK_",
    "LLM_",
    "OPENAI_",
    "ANTHROPIC_",
    "AZURE_",
    "GOOGLE_",
    "GCP_",
    "DATABASE_",
    "PG",
    "MYSQL_",
    "MARIADB_",
    "REDIS_",
    "AMQP_",
    "RABBITMQ_",
    "NATS_",
    "MONGO",
    "AUTOTRIAGE_",
    "NPM_",
    "PYPI_",
    "TWINE_",
)
_DROP_WORDS = re.compile(
    r"TOKEN|SECRET|KEY|PASSWORD|PASSWD|CREDENTIAL|AUTH|DSN|COOKIE|SESSION|PRIVATE", re.I
)
_KEEP = ("PATH", "LANG", "LC_ALL", "TZ", "TERM")
OUTPUT_LIMIT = 200_000


def clean_env(
    source: Mapping[str, str], home: Path, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """`source` without credentials; HOME points at an empty directory (no ~/.netrc, ~/.aws)."""
    env = {
        k: v
        for k, v in source.items()
        if k in _KEEP or not (k.upper().startswith(_DROP_PREFIXES) or _DROP_WORDS.search(k))
    }
    env.update({"HOME": str(home), "CI": "true", "NO_COLOR": "1", "PYTHONDONTWRITEBYTECODE": "1"})
    env.update(extra or {})
    return env


@cache
def isolation_available() -> str:
    """``bwrap``, ``unshare`` or ``none``: the strongest network isolation this OS allows."""
    probes = (
        ("bwrap", ["bwrap", "--dev-bind", "/", "/", "--unshare-net", "true"]),
        ("unshare", ["unshare", "-rn", "--pid", "--fork", "--kill-child", "true"]),
    )
    for name, argv in probes:
        if shutil.which(argv[0]) is None:
            continue
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            if subprocess.run(argv, capture_output=True, timeout=10, check=False).returncode == 0:  # noqa: S603
                return name
    return "none"


def describe(isolation: str) -> str:
    """The isolation in words a PR body can quote."""
    network = {
        "bwrap": "no network (bubblewrap network namespace)",
        "unshare": "no network (unshare -rn user+network namespace)",
        "none": "network NOT isolated (no namespace available)",
    }[isolation]
    return f"{network}, credentials removed from the environment"


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds of one command: wall-clock seconds, CPU seconds, address space in MiB."""

    timeout: float = 300.0
    cpu_seconds: int = 600
    memory_mb: int = 4096


@dataclass(frozen=True, slots=True)
class Run:
    """What one command did."""

    exit_code: int
    output: str
    timed_out: bool
    seconds: float
    isolation: str


def _argv(command: str, isolation: str, network: bool) -> list[str]:
    shell = ["/bin/sh", "-c", command]
    if network or isolation == "none":
        return shell
    if isolation == "bwrap":
        return ["bwrap", "--dev-bind", "/", "/", "--unshare-net", "--die-with-parent", *shell]
    # Bring loopback up inside the namespace so tests binding 127.0.0.1 still work.
    wrapped = f"ip link set lo up 2>/dev/null; exec /bin/sh -c {_quote(command)}"
    # A pid namespace too: when unshare is killed, --kill-child takes every process of the
    # run with it, even one that left our process group with setsid.
    return ["unshare", "-rn", "--pid", "--fork", "--kill-child", "/bin/sh", "-c", wrapped]


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"


def _limits(limits: Limits) -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds))
    size = limits.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (size, size))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def run(
    command: str, cwd: Path, env: Mapping[str, str], limits: Limits, *, network: bool = False
) -> Run:
    """Run `command` with the shell in `cwd`; the whole process group dies on timeout."""
    isolation = "none" if network else isolation_available()
    started = time.monotonic()
    process = subprocess.Popen(  # noqa: S603 - the repository's own configured command
        _argv(command, isolation, network),
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=lambda: _limits(limits),
    )
    timed_out = False
    try:
        out, _ = process.communicate(timeout=limits.timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        out, _ = process.communicate()
    text = out.decode("utf-8", "replace")[-OUTPUT_LIMIT:]
    return Run(process.returncode, text, timed_out, time.monotonic() - started, isolation)


@contextlib.contextmanager
def worktree(repo: Path, commit: str) -> Iterator[Path]:
    """A fresh detached worktree of `commit`, removed (and pruned) afterwards."""
    base = Path(tempfile.mkdtemp(prefix="autotriage-fix-"))
    path = base / "tree"
    run_git(["-C", str(repo), "worktree", "add", "--detach", "--force", str(path), commit])
    try:
        yield path
    finally:
        run_git(["-C", str(repo), "worktree", "remove", "--force", str(path)], check=False)
        shutil.rmtree(base, ignore_errors=True)
        run_git(["-C", str(repo), "worktree", "prune"], check=False)
