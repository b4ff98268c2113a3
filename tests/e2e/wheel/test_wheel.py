"""The wheel users install: built, inspected, installed into a clean venv, and run.

One wheel and one venv per module (pip's cache keeps the install short); each test then
runs the installed ``autotriage`` script the way a user would, with only the environment
it is given and a working directory outside the checkout.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import venv
import zipfile
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support import REPO_ROOT, fixture_path, free_port

# The first test carries the build and the install into a fresh venv, which took more
# than pytest's default 300 s on a loaded 2-core machine.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

# What only test code may hold: the fake GitHub, its dev-only schema validator, and any
# path that reaches into the checkout's tests/ folder.
FORBIDDEN_NAMES = ("testing_github", "tests/", "testing.py")
FORBIDDEN_CODE = re.compile(
    # "tests" joined into a path (pathlib's / or a "tests/..." string); a bare "tests" is a
    # word (the fix gate of that name), not a path.
    r"^\s*(?:import|from)\s+jsonschema\b|[\"']tests/|/\s*[\"']tests[\"']|[\"']tests[\"']\s*/"
    r"|tests/(?:contracts|fixtures)",
    re.MULTILINE,
)


@dataclass(frozen=True)
class Installed:
    """A built wheel and a clean venv it was installed into."""

    wheel: Path
    bin: Path
    home: Path


def _run(*args: str | Path, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("wheel")
    dist = root / "dist"
    # --no-isolation: the dev venv already holds the pinned build backend (hatchling).
    built = _run(
        sys.executable,
        "-m",
        "build",
        "--wheel",
        "--no-isolation",
        "--outdir",
        dist,
        REPO_ROOT,
        cwd=root,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = dist.glob("autotriage-*.whl")
    env_dir = root / "venv"
    venv.create(env_dir, with_pip=True)
    bin_dir = env_dir / "bin"
    pip = _run(
        bin_dir / "python",
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-compile",  # byte-compiling large packages (botocore) is not needed here
        "-c",
        REPO_ROOT / "constraints.txt",
        wheel,
        cwd=root,
    )
    assert pip.returncode == 0, pip.stdout + pip.stderr
    home = root / "home"
    home.mkdir()
    return Installed(wheel, bin_dir, home)


def _env(installed: Installed, **extra: str) -> dict[str, str]:
    """Only what a user's shell would need: no test settings, no secrets."""
    return {"PATH": f"{installed.bin}:/usr/bin:/bin", "HOME": str(installed.home), **extra}


def test_the_wheel_holds_no_test_code(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = wheel.namelist()
        offenders = [n for n in names if any(bad in n for bad in FORBIDDEN_NAMES)]
        assert offenders == []
        assert any(n == "autotriage/cli/__init__.py" for n in names)
        for name in names:
            if name.endswith(".py"):
                code = wheel.read(name).decode()
                found = FORBIDDEN_CODE.search(code)
                assert found is None, f"{name}: {found.group(0) if found else ''}"
        metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
        requires = [
            line
            for line in wheel.read(metadata).decode().splitlines()
            if line.startswith("Requires-Dist:") and "extra ==" not in line
        ]
    assert not any("jsonschema" in line for line in requires)


def test_installed_cli_answers_help(installed: Installed, tmp_path: Path) -> None:
    result = subprocess.run(
        [installed.bin / "autotriage", "--help"],
        cwd=tmp_path,
        env=_env(installed),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    for command in ("serve", "replay", "groups"):
        assert command in result.stdout


def test_installed_replay_act_groups_a_python_traceback(
    installed: Installed, tmp_path: Path
) -> None:
    trace = fixture_path("traces", "python", "chained_cause.txt")
    env = _env(installed, DATABASE_URL=f"sqlite:///{tmp_path / 'autotriage.db'}")
    replay = subprocess.run(
        [installed.bin / "autotriage", "replay", "--act", str(trace)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert replay.returncode == 0, replay.stderr
    assert "Traceback" not in replay.stderr
    assert "group 1:" in replay.stdout
    listed = subprocess.run(
        [installed.bin / "autotriage", "groups", "list", "--json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert listed.returncode == 0, listed.stderr
    groups = json.loads(listed.stdout)
    assert [g["count"] for g in groups] == [1]


def test_installed_serve_answers_health(installed: Installed, tmp_path: Path) -> None:
    port = free_port()
    env = _env(
        installed,
        DATABASE_URL=f"sqlite:///{tmp_path / 'autotriage.db'}",
        HOST="127.0.0.1",
        PORT=str(port),
    )
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [installed.bin / "autotriage", "serve"],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            answer = None
            deadline = time.monotonic() + 60
            while answer is None and time.monotonic() < deadline:
                assert server.poll() is None, log.read_text()
                try:
                    answer = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1.0)
                except httpx.HTTPError:
                    time.sleep(0.2)
            assert answer is not None, log.read_text()
            assert answer.status_code == 200, answer.text
            # the console's templates and assets ship in the wheel
            console = httpx.get(f"http://127.0.0.1:{port}/", timeout=10.0)
            assert console.status_code == 200 and "Groups" in console.text, console.text
            css = httpx.get(f"http://127.0.0.1:{port}/static/console/console.css", timeout=10.0)
            assert css.status_code == 200
        finally:
            server.terminate()
            server.wait(20)
