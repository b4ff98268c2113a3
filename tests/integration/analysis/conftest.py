"""The localization corpus, built once per test session (real git repos, real runtimes)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from autotriage.testing import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "bench" / "corpus"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import build  # noqa: E402 - bench/corpus is put on the path just above
import specs_java  # noqa: E402
import specs_js  # noqa: E402
import specs_python  # noqa: E402

SPECS = [specs_python.SPEC, specs_js.SPEC, specs_java.SPEC]


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Traces keyed ``language/case``; repositories built and run under a temp folder."""
    root = tmp_path_factory.mktemp("corpus")
    traces = build.build_corpus(root, SPECS)
    yield {f"{t.repo.language}/{t.case.name}": t for t in traces}
