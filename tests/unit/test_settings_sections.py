"""Each component is handed its own sections of the settings, never the flat `Settings`.

The flat `Settings` is named (imported, annotated, constructed) only where settings are
loaded and cut into sections. Read with `ast` from the source files, so an import under
``TYPE_CHECKING`` or inside a function counts too: a module that starts taking the flat
settings fails here until it takes its section instead (or is argued onto the list).
"""

from __future__ import annotations

import ast
import dataclasses
import typing
from pathlib import Path

import autotriage
from autotriage.config import Settings
from autotriage.services import Services

PACKAGE = Path(autotriage.__file__).parent

MAY_NAME_SETTINGS = {
    "autotriage.config": "defines and loads it",
    "autotriage.config_sections": "cuts the sections out of it",
    "autotriage.config_docs": "documents every setting",
    "autotriage.services": "build_services(settings) hands each component its sections",
    "autotriage.cli.common": "the CLI's one loading point",
    "autotriage.web.app": "create_app(settings) builds the services first",
}
MAY_LOAD_SETTINGS = {
    "autotriage.config": "defines it",
    "autotriage.cli.common": "the CLI's one loading point",
    "autotriage.web.factory": "the --reload factory loads from the environment",
}


def _modules() -> dict[str, ast.Module]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = ast.parse(path.read_text(), filename=str(path))
    return found


def _names(tree: ast.Module, wanted: str) -> list[int]:
    """Lines where `wanted` is imported from autotriage.config or used as a name."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "autotriage.config":
            lines += [node.lineno for alias in node.names if alias.name == wanted]
        elif (isinstance(node, ast.Name) and node.id == wanted) or (
            isinstance(node, ast.Attribute) and node.attr == wanted
        ):
            lines.append(node.lineno)
        elif isinstance(node, ast.Constant) and node.value == wanted:
            lines.append(node.lineno)  # a quoted annotation
    return lines


def test_only_the_loading_and_cutting_modules_name_the_flat_settings() -> None:
    modules = _modules()
    assert set(MAY_NAME_SETTINGS) <= set(modules)  # the list names real modules
    offenders = {
        name: lines
        for name, tree in modules.items()
        if name not in MAY_NAME_SETTINGS and (lines := _names(tree, "Settings"))
    }
    assert offenders == {}, f"take a section (autotriage.config_sections) instead: {offenders}"


def test_only_the_entry_points_load_settings() -> None:
    modules = _modules()
    offenders = {
        name: lines
        for name, tree in modules.items()
        if name not in MAY_LOAD_SETTINGS and (lines := _names(tree, "load_settings"))
    }
    assert offenders == {}


def test_the_checker_sees_an_annotation_and_an_import() -> None:
    taking = ast.parse(
        "from autotriage.config import Settings\ndef f(s: 'Settings') -> None: ...\n"
    )
    assert _names(taking, "Settings") == [1, 2]
    sectioned = ast.parse("def f(s: GitHubSettings) -> None: ...\n")
    assert _names(sectioned, "Settings") == []


def test_services_carry_sections_not_the_flat_settings() -> None:
    hints = typing.get_type_hints(Services)
    carried = {field.name: hints[field.name] for field in dataclasses.fields(Services)}
    assert Settings not in carried.values()
    sections = {"server", "ingest", "limits", "github", "slack", "sentry", "aws", "actions"}
    assert sections <= set(carried)
    for name in sections:
        assert dataclasses.is_dataclass(carried[name]), name
