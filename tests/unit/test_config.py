"""Configuration: names, defaults, bad values and secrets."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from autotriage.config import Settings, load_settings
from autotriage.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_are_the_embedded_store_on_port_3000(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("PORT", raising=False)
    settings = load_settings(env_file=None)
    assert settings.port == 3000
    assert settings.database_url == "sqlite:///./data/autotriage.db"
    assert not settings.github_configured


def test_original_variable_names_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_abcdefghijklmnopqrstuvwxyz0123456789")
    monkeypatch.setenv("GITHUB_OWNER", "acme")
    monkeypatch.setenv("GITHUB_REPO", "shop")
    monkeypatch.setenv("AWS_LOG_GROUP_NAME", "/ecs/api,/aws/lambda/*")
    monkeypatch.setenv("PORT", "8080")
    settings = load_settings(env_file=None)
    assert settings.github_configured
    assert settings.port == 8080
    assert settings.aws_log_group_name == "/ecs/api,/aws/lambda/*"


def test_secrets_never_show_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_supersecretvalue0000000000000000")
    monkeypatch.setenv("WEBHOOK_SECRET", "hook-secret-value")
    settings = load_settings(env_file=None)
    text = repr(settings) + str(settings) + settings.model_dump_json()
    assert "supersecretvalue" not in text
    assert "hook-secret-value" not in text


@pytest.mark.parametrize(
    ("name", "value"),
    [("PORT", "eighty"), ("PORT", "70000"), ("DATABASE_URL", "mysql://x"), ("LOG_LEVEL", "loud")],
)
def test_a_bad_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings(env_file=None)
    assert caught.value.variable == name
    assert value not in str(caught.value) or name == "DATABASE_URL"


def test_cli_exits_2_with_one_line_naming_the_variable(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "autotriage", "groups", "list"],
        cwd=tmp_path,
        env={"PORT": "not-a-port", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "PORT" in lines[0]
    assert "Traceback" not in result.stderr


def test_env_example_documents_every_variable() -> None:
    documented = set(
        re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE)
    )
    aliases = {field.alias for field in Settings.model_fields.values() if field.alias}
    assert aliases - documented == set()


def test_a_copy_with_changed_values_gets_sections_of_its_own() -> None:
    original = load_settings(env_file=None, SUSPECT_MAX_AGE_DAYS="30", AWS_LOG_GROUP_NAME="/a")
    assert original.analysis.suspect_max_age_days == 30  # the section is built (and cached)
    assert original.aws.aws_log_group_name == ("/a",)
    copied = original.model_copy(update={"suspect_max_age_days": 1000})
    assert copied.analysis.suspect_max_age_days == 1000
    assert original.analysis.suspect_max_age_days == 30


def test_the_analysis_section_carries_what_analysis_needs_of_github() -> None:
    settings = load_settings(
        env_file=None, GITHUB_OWNER="acme", GITHUB_REPO="shop", GITHUB_TOKEN="ghp_x"
    )
    section = settings.analysis
    assert (section.github_owner, section.github_repo) == ("acme", "shop")
    assert section.github_token is not None
    assert section.github_token.get_secret_value() == "ghp_x"
    assert "ghp_x" not in repr(section)
