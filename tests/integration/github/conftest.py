"""Fixtures for the GitHub tests: a fake GitHub on loopback and settings pointing at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from autotriage.config import Settings
from tests.fakes.github import FakeGitHub
from tests.support import make_git_repo

SPACING = 0.05  # the real default is 1 s; tests keep the rule but not the wait


@pytest.fixture
def fake_github() -> Iterator[FakeGitHub]:
    """A fake GitHub; the test fails if anything broke GitHub's OpenAPI contract."""
    fake = FakeGitHub(min_spacing=SPACING).start()
    try:
        yield fake
    finally:
        fake.stop()
    assert fake.violations == []


@pytest.fixture
def github_settings(
    make_settings: Callable[..., Settings], fake_github: FakeGitHub, tmp_path: Path
) -> Callable[..., Settings]:
    """Settings with GitHub configured against the fake (overrides welcome)."""

    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "GITHUB_TOKEN": fake_github.token,
            "GITHUB_OWNER": fake_github.owner,
            "GITHUB_REPO": fake_github.repo,
            "GITHUB_API_URL": fake_github.url,
            "GITHUB_MUTATION_INTERVAL": SPACING,
            "GITHUB_TIMEOUT": 2.0,
            # analysis reads a local checkout; the fake GitHub serves no git protocol
            "REPO_PATH": str(make_git_repo(tmp_path / "checkout")),
        }
        values.update(overrides)
        return make_settings(**values)

    return build
