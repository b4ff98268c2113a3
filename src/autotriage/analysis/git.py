"""Running git: one place that spawns it, keeps secrets out of its config and our errors.

Credentials reach git only through ``GIT_CONFIG_COUNT``/``GIT_CONFIG_KEY_n``/
``GIT_CONFIG_VALUE_n`` in the child's environment (git >= 2.31), as an
``http.extraHeader``; they are never written to a config file or a remote URL, and every
message we raise is passed through `redact` first.
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from autotriage.errors import GitError

GIT_TIMEOUT_SECONDS = 120.0
_URL_CREDENTIALS = re.compile(r"(?<=://)[^/\s@]+@")


def auth_env(token: str | None) -> dict[str, str]:
    """Environment that makes git send `token` as a Basic ``x-access-token`` header.

    GitHub accepts an installation or personal token as the password of the
    ``x-access-token`` user; the header lives only in this child process's environment.
    """
    if not token:
        return {}
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    return {
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": "http.extraHeader",
        "GIT_CONFIG_VALUE_0": f"Authorization: Basic {basic}",
    }


def redact(text: str, secrets: Sequence[str] = ()) -> str:
    """`text` with URL credentials and each of `secrets` (and its Basic form) removed."""
    text = _URL_CREDENTIALS.sub("", text)
    for secret in secrets:
        if not secret:
            continue
        basic = base64.b64encode(f"x-access-token:{secret}".encode()).decode()
        text = text.replace(basic, "[REDACTED]").replace(secret, "[REDACTED]")
    return text


def _base_env(extra: Mapping[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_CONFIG_")}
    # Never prompt (a missing token must fail, not hang the worker), never page.
    env.update({"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "", "GIT_PAGER": "cat", "LC_ALL": "C"})
    env.update(extra)
    return env


def run_git(
    args: Sequence[str],
    *,
    cwd: Path | None = None,
    git_dir: Path | None = None,
    token: str | None = None,
    check: bool = True,
    timeout: float = GIT_TIMEOUT_SECONDS,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``git args`` and return the finished process; `GitError` when it fails."""
    command = ["git"]
    if git_dir is not None:
        command += ["--git-dir", str(git_dir)]
    command += list(args)
    secrets = [token] if token else []
    try:
        done = subprocess.run(  # noqa: S603 - fixed executable, argument list, no shell
            command,
            cwd=cwd,
            env=_base_env(auth_env(token)),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise GitError(f"git {args[0]} timed out after {timeout:.0f}s") from None
    except OSError as exc:
        raise GitError(f"cannot run git: {exc.strerror}") from None
    if check and done.returncode != 0:
        stderr = done.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = stderr[-1] if stderr else f"exit code {done.returncode}"
        raise GitError(redact(f"git {args[0]} failed: {detail}", secrets))
    return done


def git_text(args: Sequence[str], *, git_dir: Path, token: str | None = None) -> str:
    """Standard output of ``git args`` in `git_dir`, decoded."""
    return run_git(args, git_dir=git_dir, token=token).stdout.decode("utf-8", "replace")
