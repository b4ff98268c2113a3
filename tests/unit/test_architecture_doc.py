"""docs/architecture.md lists every module of the package, each by its path."""

from __future__ import annotations

import re
from pathlib import Path

import autotriage

PACKAGE = Path(autotriage.__file__).parent
DOC = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"


def modules() -> list[str]:
    """Every module's path under `src/autotriage/`, migration revisions excepted."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if not relative.startswith("store/migrations/versions/"):
            found.append(relative)
    return found


def listed() -> set[str]:
    """The module paths the doc's tables name, as ``| `path` | job |`` rows."""
    return set(re.findall(r"^\| `([\w/]+\.py)` \|", DOC.read_text(), flags=re.MULTILINE))


def test_every_module_is_listed_in_the_architecture_doc() -> None:
    missing = [name for name in modules() if name not in listed()]
    assert missing == [], f"add these to docs/architecture.md: {missing}"


def test_the_doc_lists_no_module_that_is_gone() -> None:
    gone = sorted(listed() - set(modules()))
    assert gone == [], f"docs/architecture.md lists modules that no longer exist: {gone}"


def test_the_package_is_found() -> None:
    assert "intake.py" in modules()
    assert "sources/registry.py" in modules()
