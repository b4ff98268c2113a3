"""The layers hold: the core (intake, pipeline and its worker, lifecycle, releases, store)
never imports an adapter.

Read with `ast` from the source files, so an import inside a function or under
``TYPE_CHECKING`` counts as much as one at the top; and checked once more by importing each
core module in a fresh interpreter, so an adapter loaded on the way (by a package's
``__init__`` or a helper module) counts too.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import autotriage

PACKAGE = Path(autotriage.__file__).parent

CORE = (
    "autotriage.intake",
    "autotriage.pipeline",
    "autotriage.lifecycle",
    "autotriage.releases",
    "autotriage.store",
)
ADAPTERS = (
    "autotriage.actions.github",
    "autotriage.actions.slack",
    "autotriage.sources",
    "autotriage.web",
    "autotriage.cli",
)


def _module_name(path: Path, root: Path = PACKAGE) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def imported_names(path: Path, root: Path = PACKAGE) -> set[str]:
    """Every module `path` (in the package at `root`) imports; ``from a import b``
    counts as ``a`` and ``a.b``, relative imports are resolved."""
    module = _module_name(path, root)
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".")
                if path.name != "__init__.py":
                    package = package[:-1]
                package = package[: len(package) - node.level + 1]
                base = ".".join([*package, base] if base else package)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def core_violations() -> list[str]:
    """``module -> adapter`` for each import from the core up to an adapter."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_name(path)
        if not _within(module, CORE):
            continue
        for name in sorted(imported_names(path)):
            if _within(name, ADAPTERS):
                found.append(f"{module} -> {name}")
    return found


def test_the_core_never_imports_an_adapter() -> None:
    assert core_violations() == []


def test_the_scan_sees_the_core_and_its_imports() -> None:
    # Guards the guard: the scan must find the core's modules and read their imports.
    intake = PACKAGE / "intake.py"
    assert "autotriage.lifecycle" in imported_names(intake)
    cores = [p for p in PACKAGE.rglob("*.py") if _within(_module_name(p), CORE)]
    assert len(cores) > 5


def test_an_adapter_import_in_the_core_is_caught(tmp_path: Path) -> None:
    root = tmp_path / "autotriage"
    bad = root / "store" / "bad.py"
    bad.parent.mkdir(parents=True)
    bad.write_text(
        "def f():\n    from ..web.app import create_app\n"
        "    from autotriage.sources import registry\n"
    )
    names = imported_names(bad, root)
    assert "autotriage.web.app" in names
    assert "autotriage.sources.registry" in names


def loaded_adapters(module: str) -> list[str]:
    """The adapter modules a fresh interpreter has loaded once it imported `module`."""
    script = (
        f"import sys, {module}\n"
        f"print('\\n'.join(m for m in sys.modules if m.startswith({ADAPTERS!r})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    return sorted(line for line in done.stdout.splitlines() if line)


@pytest.mark.parametrize(
    "module", [*CORE[:-1], "autotriage.store.events", "autotriage.store.groups"]
)
def test_importing_the_core_loads_no_adapter(module: str) -> None:
    assert loaded_adapters(module) == []


def test_the_import_check_sees_an_adapter_loaded() -> None:
    assert "autotriage.sources.sentry.poll" in loaded_adapters("autotriage.jobs.work")
