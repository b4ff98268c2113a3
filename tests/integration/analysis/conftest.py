"""The localization corpus, built once per test session (real git repos, real runtimes)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "bench" / "corpus"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import build
import specs_java
import specs_js
import specs_python
import specs_python_pkg

SPECS = [specs_python.SPEC, specs_python_pkg.SPEC, specs_js.SPEC, specs_java.SPEC]


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Traces keyed ``language/case``; repositories built and run under a temp folder."""
    root = tmp_path_factory.mktemp("corpus")
    traces = build.build_corpus(root, SPECS)
    return {f"{t.repo.language}/{t.case.name}": t for t in traces}
