"""GitHub App authentication: a JWT signed with the app's key, traded for installation tokens."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from autotriage.actions.github.client import GitHubClient
from autotriage.actions.github.issues import IssueOps
from autotriage.config import Settings
from autotriage.errors import GitHubError
from tests.fakes.github import FakeGitHub


def _keys() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


def test_app_installation_token_is_fetched_used_and_refreshed(
    make_settings: Callable[..., Settings], fake_github: FakeGitHub, tmp_path: Path
) -> None:
    private, public = _keys()
    fake_github.app_id, fake_github.app_public_key, fake_github.installation_id = 4242, public, 77
    fake_github.token_ttl = 62  # githubkit refreshes a minute early: this token lasts ~2 s
    key_file = tmp_path / "app.pem"
    key_file.write_text(private)
    settings = make_settings(
        GITHUB_APP_ID=4242,
        GITHUB_APP_PRIVATE_KEY_FILE=str(key_file),
        GITHUB_APP_INSTALLATION_ID=77,
        GITHUB_OWNER=fake_github.owner,
        GITHUB_REPO=fake_github.repo,
        GITHUB_API_URL=fake_github.url,
        GITHUB_MUTATION_INTERVAL=0.05,
    )
    assert settings.github_configured and settings.github_token is None
    ops = IssueOps(GitHubClient.from_settings(settings.actions))
    assert ops.find_by_token("x") is None
    assert ops.find_by_token("y") is None
    assert fake_github.tokens_issued == 1  # cached while valid
    time.sleep(2.5)
    assert ops.find_by_token("z") is None
    assert fake_github.tokens_issued == 2  # refreshed before it expired, no 401 seen
    assert "installation" in {k for k in fake_github.used}


def test_wrong_app_key_is_refused(
    make_settings: Callable[..., Settings], fake_github: FakeGitHub
) -> None:
    _, public = _keys()
    other, _ = _keys()
    fake_github.app_id, fake_github.app_public_key, fake_github.installation_id = 1, public, 2
    settings = make_settings(
        GITHUB_APP_ID=1,
        GITHUB_APP_PRIVATE_KEY=other.replace("\n", "\\n"),
        GITHUB_APP_INSTALLATION_ID=2,
        GITHUB_OWNER="acme",
        GITHUB_REPO="shop",
        GITHUB_API_URL=fake_github.url,
    )
    ops = IssueOps(GitHubClient.from_settings(settings.actions))
    with pytest.raises(GitHubError) as caught:
        ops.find_by_token("x")
    assert caught.value.status == 401
    assert fake_github.tokens_issued == 0
