"""Real traces from python3, node and java, run from a deployed copy, against real git repos."""

from __future__ import annotations

from typing import Any

import pytest

from autotriage.analysis import Analysis, analyze_with
from autotriage.analysis.confidence import FIX_THRESHOLD
from autotriage.config import Settings
from autotriage.sources.registry import REGISTRY

CASES = [
    "python/zero",
    "python/keyerror",
    "python/chained",
    "python/json",
    "python/legacy",
    "python/drift",
    "python/rival",
    "python-package/attr",
    "python-package/index",
    "javascript/undefined",
    "javascript/format",
    "javascript/cause",
    "java/npe",
    "java/bounds",
    "java/wrapped",
]


def _analyse(trace: Any, settings: Settings, **kwargs: Any) -> Analysis:
    source = REGISTRY["sentry" if trace.case.output == "sentry" else "text"]
    event = source.parse(trace.body, {})[0]
    return analyze_with(event, settings.analysis, location=str(trace.repo_path), **kwargs)


@pytest.fixture
def settings(make_settings: Any, tmp_path: Any) -> Settings:
    return make_settings(AUTOTRIAGE_REPO_CACHE_DIR=str(tmp_path / "cache"))  # type: ignore[no-any-return]


@pytest.mark.parametrize("name", CASES)
def test_culprit_suspect_and_owners(corpus: dict[str, Any], settings: Settings, name: str) -> None:
    trace = corpus[name]
    result = _analyse(trace, settings)
    assert result.culprit is not None
    assert result.culprit.path == trace.case.path
    assert result.culprit.mapped
    if trace.case.in_repo:
        assert result.culprit.line == trace.expected_line
        marked = [line for line in result.culprit.code if line.startswith(">")]
        assert len(marked) == 1
        assert "BUG:" in marked[0]
    assert result.owners == trace.case.owners
    got = result.suspect_commit.sha if result.suspect_commit else None
    if got != trace.expected_sha:
        # A wrong (or missing) suspect must never come with a fix-worthy confidence.
        assert result.confidence <= FIX_THRESHOLD, result.reasons
    else:
        assert got == trace.expected_sha


def test_suspect_names_author_date_and_summary(corpus: dict[str, Any], settings: Settings) -> None:
    result = _analyse(corpus["python/zero"], settings)
    suspect = result.suspect_commit
    assert suspect is not None
    assert (suspect.author_name, suspect.author_email) == ("Bob Baker", "bob@example.com")
    assert suspect.summary == "Simplify unit prices"
    assert suspect.path == "shop/pricing.py"
    assert suspect.login is None  # GitHub is not configured: no login, and none guessed
    assert any("last changed the culprit line" in r for r in result.reasons)


def test_old_bug_names_no_suspect(corpus: dict[str, Any], settings: Settings) -> None:
    result = _analyse(corpus["python/legacy"], settings)
    assert result.suspect_commit is None
    assert any("older than 365 days" in r for r in result.reasons)
    younger = _analyse(
        corpus["python/legacy"], settings.model_copy(update={"suspect_max_age_days": 1000})
    )
    assert younger.suspect_commit is not None
    assert younger.suspect_commit.author_name == "Alice Archer"


def test_deployed_code_that_differs_lowers_confidence(
    corpus: dict[str, Any], settings: Settings
) -> None:
    result = _analyse(corpus["python/drift"], settings)
    same = _analyse(corpus["python/zero"], settings)
    assert any("deployed code differs" in r for r in result.reasons)
    assert result.confidence < same.confidence
    assert result.confidence <= FIX_THRESHOLD


def test_chained_exception_culprit_is_the_root_cause(
    corpus: dict[str, Any], settings: Settings
) -> None:
    result = _analyse(corpus["python/chained"], settings)
    assert result.culprit is not None
    assert result.culprit.function == "unit_price"
    assert any("root cause ZeroDivisionError" in r for r in result.reasons)
    java = _analyse(corpus["java/wrapped"], settings)
    assert java.culprit is not None
    assert java.culprit.function == "customerKey"


def test_release_resolves_to_its_tag_not_the_newer_head(
    corpus: dict[str, Any], settings: Settings
) -> None:
    trace = corpus["javascript/undefined"]
    at_release = _analyse(trace, settings)
    assert any("release jsorders@1.2.0 resolved via v1.2.0" in r for r in at_release.reasons)
    assert at_release.culprit is not None
    assert at_release.culprit.line == trace.expected_line
    assert any("source line matches" in r for r in at_release.reasons)
    at_head = _analyse(trace, settings, ref="main")
    assert at_head.commit != at_release.commit
    assert any("source line differs" in r for r in at_head.reasons)
    assert at_head.confidence < at_release.confidence


def test_unknown_release_falls_back_to_the_default_branch(
    corpus: dict[str, Any], settings: Settings
) -> None:
    trace = corpus["javascript/format"]
    event = REGISTRY["sentry"].parse(trace.body, {})[0].model_copy(update={"release": "9.9.9"})
    result = analyze_with(event, settings.analysis, location=str(trace.repo_path))
    assert any("release 9.9.9 not found" in r and "default branch" in r for r in result.reasons)
    assert result.culprit is not None
    assert result.culprit.path == "src/lib/format.js"


def test_results_are_cached_per_group_and_commit(
    corpus: dict[str, Any], settings: Settings
) -> None:
    trace = corpus["java/npe"]
    first = _analyse(trace, settings)
    first.reasons.append("mutated by the caller")
    second = _analyse(trace, settings)
    assert second.model_dump() != first.model_dump()
    assert second.fingerprint == first.fingerprint
    assert second.commit == first.commit


def test_contested_suspect_earns_no_confidence(corpus: dict[str, Any], settings: Settings) -> None:
    trace = corpus["python/rival"]
    result = _analyse(trace, settings)
    assert result.suspect_commit is not None
    assert result.suspect_commit.author_name == "Frank Fox"  # newest on the crash line
    assert result.suspect_commit.sha != trace.expected_sha  # but Eve's caller broke it
    assert any("has rivals" in r for r in result.reasons)
    assert not any("last changed the culprit line" in r for r in result.reasons)
    assert result.confidence <= FIX_THRESHOLD


def test_reindented_lines_do_not_become_suspects(
    corpus: dict[str, Any], settings: Settings
) -> None:
    trace = corpus["python/chained"]
    result = _analyse(trace, settings)
    assert result.suspect_commit is not None
    assert result.suspect_commit.author_name == "Bob Baker"  # not Carol, who re-indented


def test_package_installed_in_site_packages_is_found_in_its_src_layout(
    corpus: dict[str, Any], settings: Settings
) -> None:
    result = _analyse(corpus["python-package/attr"], settings)
    assert result.culprit is not None
    assert result.culprit.path == "src/inventory/stock.py"
    assert any("marked as library code" in r for r in result.reasons)
    assert any("mapped uniquely to src/inventory/stock.py" in r for r in result.reasons)


# The raw text Node and the JVM printed, read by autotriage.understanding's parsers
# (javascript/cause includes Node's "... N lines matching cause stack trace ..." line).
RAW = [
    "javascript/undefined",
    "javascript/format",
    "javascript/cause",
    "java/npe",
    "java/bounds",
    "java/wrapped",
]


@pytest.mark.parametrize("name", RAW)
def test_raw_text_traces_localize_too(
    corpus: dict[str, Any], settings: Settings, name: str
) -> None:
    trace = corpus[name]
    event = REGISTRY["text"].parse(trace.stderr, {})[0]
    result = analyze_with(event, settings.analysis, location=str(trace.repo_path))
    assert result.culprit is not None
    assert (result.culprit.path, result.culprit.line) == (trace.case.path, trace.expected_line)
    assert result.suspect_commit is not None
    assert result.suspect_commit.sha == trace.expected_sha
    assert result.owners == trace.case.owners
