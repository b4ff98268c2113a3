"""Sandboxed runs: no credentials, no network, a timeout that kills the whole group."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from autotriage.actions.fixes import sandbox
from autotriage.actions.fixes.sandbox import Limits, clean_env


def test_credentials_never_reach_the_command(tmp_path: Path) -> None:
    env = clean_env(
        {
            "PATH": "/usr/bin:/bin",
            "GITHUB_TOKEN": "ghp_x",
            "AWS_SECRET_ACCESS_KEY": "a",
            "MY_API_KEY": "k",
            "DATABASE_URL": "postgresql://u:p@h/db",
            "SENTRY_DSN": "https://k@o/1",
            "DB_PASSWORD": "p",
            "LLM_API_KEY": "sk",
            "SLACK_BOT_TOKEN": "xoxb",
            "HARMLESS": "1",
        },
        tmp_path,
    )
    done = sandbox.run("env", tmp_path, env, Limits(timeout=10))
    assert "HARMLESS=1" in done.output
    for secret in (
        "ghp_x",
        "AWS_SECRET",
        "MY_API_KEY",
        "DATABASE_URL",
        "SENTRY_DSN",
        "DB_PASSWORD",
        "LLM_API_KEY",
        "xoxb",
    ):
        assert secret not in done.output
    assert f"HOME={tmp_path}" in done.output


def test_no_network_where_the_os_allows_it(tmp_path: Path) -> None:
    isolation = sandbox.isolation_available()
    if isolation == "none":
        pytest.fail(
            "this machine offers no network namespace; the fix sandbox needs unshare or bwrap"
        )
    probe = "python3 -c \"import socket; socket.create_connection(('1.1.1.1', 53), timeout=3)\""
    done = sandbox.run(
        probe, tmp_path, clean_env({"PATH": "/usr/bin:/bin"}, tmp_path), Limits(timeout=20)
    )
    assert done.exit_code != 0
    assert "Network is unreachable" in done.output or "OSError" in done.output
    loopback = sandbox.run(
        "python3 -c \"import socket; s=socket.socket(); s.bind(('127.0.0.1', 0))\"",
        tmp_path,
        clean_env({"PATH": "/usr/bin:/bin"}, tmp_path),
        Limits(timeout=20),
    )
    assert loopback.exit_code == 0, loopback.output


def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    marker = tmp_path / "survivor"
    # A grandchild that detaches and would write the marker after the timeout.
    command = f"(sleep 3; touch {marker}) & sleep 60"
    started = time.monotonic()
    done = sandbox.run(
        command, tmp_path, clean_env({"PATH": "/usr/bin:/bin"}, tmp_path), Limits(timeout=1)
    )
    assert done.timed_out
    assert time.monotonic() - started < 10
    time.sleep(3.5)
    assert not marker.exists()


def test_memory_limit_applies(tmp_path: Path) -> None:
    done = sandbox.run(
        'python3 -c "b = bytearray(600 * 1024 * 1024)"',
        tmp_path,
        clean_env({"PATH": "/usr/bin:/bin"}, tmp_path),
        Limits(timeout=20, memory_mb=256),
    )
    assert done.exit_code != 0
    assert "MemoryError" in done.output


def test_worktree_is_removed_afterwards(tmp_path: Path) -> None:
    import subprocess

    repo = tmp_path / "r"
    repo.mkdir()
    git = ["git", "-c", "user.name=a", "-c", "user.email=a@b"]
    subprocess.run([*git, "init", "-q"], cwd=repo, check=True)
    (repo / "f.txt").write_text("x")
    subprocess.run([*git, "add", "f.txt"], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "c"], cwd=repo, check=True)
    with sandbox.worktree(repo, "HEAD") as tree:
        assert (tree / "f.txt").read_text() == "x"
        kept = tree
    assert not kept.exists()
    listing = subprocess.run(
        ["git", "worktree", "list"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout
    assert len(listing.strip().splitlines()) == 1
