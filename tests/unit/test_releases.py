"""Release ordering: SemVer, else PEP 440; commit SHAs unordered."""

from __future__ import annotations

import pytest

from autotriage.releases import is_newer, release_key


def test_equal_versions_are_not_newer() -> None:
    # catches `new > old` turned into `new >= old`, for SemVer and for PEP 440 alike
    assert is_newer("1.4.0+build.6", "1.4.0+build.5") is False
    assert is_newer("1.4.0.0", "1.4") is False
    assert is_newer("1.4.1", "1.4.0") is True
    assert is_newer("abc1234", "def5678") is None


@pytest.mark.parametrize(
    ("text", "ordered"),
    [("1.4.0-rc.1", True), ("v2.0.0+build.5", True), ("2!1.0", True), ("3f2a9c1d", False)],
)
def test_release_key_orders_versions_not_commits(text: str, ordered: bool) -> None:
    assert (release_key(text) is not None) is ordered
