"""`autotriage doctor`: a table of checks, non-zero when something configured fails."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support import free_port


def _doctor(cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": f"sqlite:///{cwd / 'db.sqlite'}",
        "COLUMNS": "200",
    }
    return subprocess.run(
        [sys.executable, "-m", "autotriage", "doctor"],
        cwd=cwd,
        env={**base, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_default_configuration_is_healthy(tmp_path: Path) -> None:
    result = _doctor(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "database" in result.stdout
    assert "local tracker" in result.stdout


def test_unreachable_github_fails_without_leaking_the_token(tmp_path: Path) -> None:
    result = _doctor(
        tmp_path,
        GITHUB_TOKEN="ghp_doctortoken000000000000000000000",
        GITHUB_OWNER="acme",
        GITHUB_REPO="shop",
        GITHUB_API_URL=f"http://127.0.0.1:{free_port()}",
    )
    assert result.returncode == 1
    assert "FAIL" in result.stdout
    assert "doctortoken" not in result.stdout + result.stderr


def test_cloudwatch_reachability_against_a_local_aws_twin(tmp_path: Path) -> None:
    from moto.server import ThreadedMotoServer

    port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    moto.start()
    try:
        aws = {
            "AWS_REGION": "us-east-1",
            "AWS_LOG_GROUP_NAME": "/ecs/api",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        }
        ok = _doctor(tmp_path, AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}", **aws)
        assert ok.returncode == 0, ok.stdout
        assert "cloudwatch" in ok.stdout
    finally:
        moto.stop()
    down = _doctor(tmp_path, AWS_ENDPOINT_URL=f"http://127.0.0.1:{free_port()}", **aws)
    assert down.returncode == 1
    assert "DescribeLogGroups failed" in down.stdout
