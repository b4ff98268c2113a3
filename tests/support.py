"""Helpers the tests and benchmarks share: fixture files, free ports, a git repo, a live server.

`LiveServer` starts ``autotriage serve`` as a real process on a free loopback port, so
integration tests exercise exactly what a user runs.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import IO

import httpx

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = REPO_ROOT / "tests" / "fixtures"


def fixture_path(*parts: str) -> Path:
    """The path of a file under ``tests/fixtures``."""
    return FIXTURES.joinpath(*parts)


def fixture_bytes(*parts: str) -> bytes:
    """The exact bytes of a fixture file."""
    return fixture_path(*parts).read_bytes()


def make_git_repo(path: Path) -> Path:
    """A small git repository with one commit, standing in for a team's checkout."""
    if (path / ".git").exists():
        return path
    path.mkdir(parents=True, exist_ok=True)
    (path / "app").mkdir(exist_ok=True)
    (path / "app" / "main.py").write_text("def main():\n    return 1 / 0\n")
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.com",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.com",
    }
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "initial"]):
        subprocess.run(["git", *args], cwd=path, env=env, check=True)
    return path


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """``autotriage serve`` in a subprocess, on a free port, with the given environment."""

    def __init__(self, env: Mapping[str, str], cwd: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.cwd = cwd
        self.env = {**os.environ, **env, "PORT": str(self.port), "HOST": "127.0.0.1"}
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = cwd / f"server-{self.port}.log"
        self._log_file: IO[bytes] | None = None

    def start(self, timeout: float = 120.0) -> LiveServer:
        """Start the process and wait until /health answers."""
        self._log_file = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "autotriage", "serve"],
            cwd=self.cwd,
            env=self.env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1.0).status_code < 600:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"server did not start in {timeout}s:\n{self.log()}")

    def kill(self) -> None:
        """kill -9, as a crash would."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
        self._close_log()

    def _close_log(self) -> None:
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def stop(self) -> None:
        """Stop gracefully (SIGTERM), then kill if it lingers."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        self._close_log()

    def log(self) -> str:
        """What the server printed."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class WorkerProcess(LiveServer):
    """``autotriage worker --concurrency N`` in a subprocess: killed and stopped as a server is."""

    def __init__(self, env: Mapping[str, str], cwd: Path, name: str, concurrency: int = 4) -> None:
        super().__init__(env, cwd)
        self.log_path = cwd / f"{name}.log"
        self.concurrency = concurrency

    def start(self, timeout: float = 0.0) -> WorkerProcess:
        """Start the process (a worker serves nothing to wait for)."""
        del timeout
        self._log_file = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "autotriage", "worker", "--concurrency", str(self.concurrency)],
            cwd=self.cwd,
            env=self.env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )
        return self


SENTRY_SDK_APP = textwrap.dedent(
    """
    import sys
    import sentry_sdk

    sentry_sdk.init(dsn=sys.argv[1], release="shop@1.2.3", environment="staging")

    def checkout(cart):
        return cart["sku"]

    try:
        checkout({})
    except KeyError:
        sentry_sdk.capture_exception()
    sentry_sdk.flush(10)
    """
)


def report_with_sentry_sdk(tmp_path: Path, dsn: str) -> None:
    """Run a small app that reports one ``KeyError`` to `dsn` with the official sentry-sdk."""
    script = tmp_path / "shop_app.py"
    script.write_text(SENTRY_SDK_APP)
    subprocess.run([sys.executable, str(script), dsn], check=True, timeout=60, cwd=tmp_path)
