"""Pure helpers: release strings to refs, blame output, remotes, credentials kept out."""

from __future__ import annotations

import base64

import pytest

from autotriage.analysis.confidence import Confidence
from autotriage.analysis.git import auth_env, redact
from autotriage.analysis.repo import github_web_url, parse_blame, release_candidates


@pytest.mark.parametrize(
    ("release", "pattern", "first", "also"),
    [
        ("1.2.0", None, "1.2.0", ["v1.2.0"]),
        ("shop@1.2.0", None, "shop@1.2.0", ["1.2.0", "v1.2.0"]),
        ("shop@1.2.0", "release-{version}", "release-1.2.0", ["v1.2.0"]),
        ("build-42", "deploys/{release}", "deploys/build-42", ["build-42"]),
        ("1.4.0+4f3c2a1", None, "1.4.0+4f3c2a1", ["4f3c2a1"]),
        ("4f3c2a1b9d", None, "4f3c2a1b9d", []),
    ],
)
def test_release_candidates(release: str, pattern: str | None, first: str, also: list[str]) -> None:
    found = release_candidates(release, pattern)
    assert found[0] == first
    assert set(also) <= set(found)
    assert len(found) == len(set(found))


def test_no_release_no_candidates() -> None:
    assert release_candidates(None, "v{version}") == []


def test_parse_blame_porcelain() -> None:
    out = (
        "3e27670b0b8d7d8c6f3c3c1e0f1d2a3b4c5d6e7f 6 6 1\n"
        "author Bob Baker\nauthor-mail <bob@example.com>\nauthor-time 1700000000\n"
        "author-tz +0000\nsummary Simplify unit prices\nboundary\nfilename shop/pricing.py\n"
        "\t    return round(total / qty, 2)\n"
    )
    line = parse_blame(out)
    assert line is not None
    assert (line.author_name, line.author_email, line.summary) == (
        "Bob Baker",
        "bob@example.com",
        "Simplify unit prices",
    )
    assert line.authored_at.year == 2023
    assert line.boundary
    assert parse_blame("fatal: no such path") is None


@pytest.mark.parametrize(
    ("remote", "web"),
    [
        ("https://github.com/acme/shop.git", "https://github.com/acme/shop"),
        ("https://x-access-token:abc@github.com/acme/shop", "https://github.com/acme/shop"),
        ("git@github.com:acme/shop.git", "https://github.com/acme/shop"),
        ("/srv/git/shop.git", None),
    ],
)
def test_github_web_url(remote: str, web: str | None) -> None:
    assert github_web_url(remote) == web


def test_token_goes_only_into_a_header_and_is_redacted() -> None:
    env = auth_env("ghs_secret123")
    assert env["GIT_CONFIG_KEY_0"] == "http.extraHeader"
    basic = base64.b64encode(b"x-access-token:ghs_secret123").decode()
    assert env["GIT_CONFIG_VALUE_0"] == f"Authorization: Basic {basic}"
    message = f"fatal: https://u:ghs_secret123@host/x header {basic} ghs_secret123"
    cleaned = redact(message, ["ghs_secret123"])
    assert "ghs_secret123" not in cleaned
    assert basic not in cleaned
    assert auth_env(None) == {}


def test_confidence_clamps_caps_and_explains() -> None:
    score = Confidence()
    score.add(0.3, "mapped")
    score.add(0.9, "lots")
    assert score.value == 1.0
    score.limit(0.2, "unmapped")
    assert score.value == 0.2
    score.add(-2.0, "differs")
    assert score.value == 0.0
    assert score.reasons[0] == "mapped (+0.30)"
    assert score.reasons[-1] == "differs (-2.00)"
