"""docs/configuration.md is generated from the settings model and kept current."""

from __future__ import annotations

from autotriage.config import Settings
from autotriage.config_docs import meanings, render, sections, undocumented
from tests.support import REPO_ROOT

ENV_EXAMPLE = (REPO_ROOT / ".env.example").read_text()


def test_every_setting_has_a_meaning() -> None:
    assert undocumented(ENV_EXAMPLE) == []


def test_the_reference_is_current() -> None:
    committed = (REPO_ROOT / "docs" / "configuration.md").read_text()
    assert committed == render(ENV_EXAMPLE), (
        "docs/configuration.md is stale: run "
        "`.venv/bin/python -m autotriage.config_docs > docs/configuration.md`"
    )


def test_every_setting_is_in_the_reference_with_section_type_and_default() -> None:
    text = render(ENV_EXAMPLE)
    for field, info in Settings.model_fields.items():
        name = info.alias or field.upper()
        (row,) = [line for line in text.splitlines() if line.startswith(f"| `{name}` |")]
        assert row.count(" | ") >= 3, row
    assert "| `PORT` | `int` | `3000` | port `serve` listens on |" in text
    assert sections()["github_token"] == "github"


def test_a_setting_missing_from_env_example_is_reported() -> None:
    trimmed = "\n".join(x for x in ENV_EXAMPLE.splitlines() if not x.startswith("# PORT="))
    assert undocumented(trimmed) == ["PORT"]
    found = meanings("# Shared by both\n# AA=1\n# BB=2   # its own\n")
    assert found == {"AA": "Shared by both", "BB": "its own"}
