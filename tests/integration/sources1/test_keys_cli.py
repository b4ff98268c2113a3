"""``autotriage keys create|list|revoke``: the DSN printed, the secret never stored."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from autotriage.cli import app, common
from autotriage.store import Store
from autotriage.store.ingest_keys import IngestKey, find_active


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'k.db'}")
    monkeypatch.delenv("PUBLIC_URL", raising=False)


def _cli(tmp_path: Path, *args: str, **env: str) -> Result:
    del tmp_path
    common.settings.cache_clear()  # settings are loaded once per process; reload per call
    return CliRunner().invoke(app, ["keys", *args], env=env)


def test_create_list_revoke(tmp_path: Path) -> None:
    made = _cli(
        tmp_path,
        "create",
        "--project-id",
        "42",
        "--label",
        "checkout",
        PUBLIC_URL="https://triage.example.com/base/",
    )
    assert made.exit_code == 0, made.output
    key = re.search(r"key:\s+([0-9a-f]{32})", made.stdout)
    assert key is not None
    secret = key.group(1)
    assert f"DSN:     https://{secret}@triage.example.com/base/42" in made.stdout
    assert f"Authorization=Bearer%20{secret}" in made.stdout

    store = Store(f"sqlite:///{tmp_path / 'k.db'}")
    with store.reading() as session:
        row = session.scalars(select(IngestKey)).one()
        assert secret not in (row.key_hash, row.prefix)  # only a hash and a prefix
        assert find_active(session, secret) is not None

    listed = _cli(tmp_path, "list")
    assert f"{secret[:8]}  project 42  active  checkout" in listed.stdout
    assert secret not in listed.stdout

    assert _cli(tmp_path, "revoke", "ab").exit_code == 2  # too short to be safe
    revoked = _cli(tmp_path, "revoke", secret[:8])
    assert revoked.exit_code == 0
    assert f"revoked {secret[:8]}" in revoked.stdout
    with store.reading() as session:
        assert find_active(session, secret) is None
    again = _cli(tmp_path, "revoke", secret[:8])
    assert again.exit_code == 1
    assert "no active key" in again.stderr
    store.dispose()


def test_bad_public_url_is_named(tmp_path: Path) -> None:
    made = _cli(tmp_path, "create", PUBLIC_URL="not a url")
    assert made.exit_code == 2
    assert "PUBLIC_URL" in made.output
