"""The analysis settings read from the environment, and a bad one named clearly."""

from __future__ import annotations

import pytest

from autotriage.config import load_settings
from autotriage.errors import ConfigError


def test_analysis_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODE_MAPPINGS", '{"/srv/app/current/": "backend/"}')
    monkeypatch.setenv("RELEASE_REF_PATTERN", "v{version}")
    monkeypatch.setenv("SUSPECT_MAX_AGE_DAYS", "90")
    monkeypatch.setenv("REPO_PATH", "/code/shop")
    settings = load_settings(env_file=None)
    assert settings.code_mappings == {"/srv/app/current/": "backend/"}
    assert settings.release_ref_pattern == "v{version}"
    assert settings.suspect_max_age_days == 90
    assert settings.repo_path == "/code/shop"
    assert settings.repo_fetch_interval_seconds == 300


@pytest.mark.parametrize(
    ("variable", "value"),
    [("CODE_MAPPINGS", "not json"), ("SUSPECT_MAX_AGE_DAYS", "0")],
)
def test_bad_analysis_setting_is_named(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        load_settings(env_file=None)
    assert caught.value.variable == variable
