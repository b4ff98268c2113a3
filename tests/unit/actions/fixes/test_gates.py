"""Gates and test-result reading: what they let through and what they refuse."""

from __future__ import annotations

import pytest

from autotriage.actions.fixes import gates
from autotriage.actions.fixes.diffs import summarize
from autotriage.actions.fixes.model import RunCounts
from autotriage.actions.fixes.results import parse_junit, parse_tap

EDIT = "--- a/app.py\n+++ b/app.py\n@@ -1,2 +1,2 @@\n-x = totl\n+x = total\n y = 1\n"


@pytest.mark.parametrize(
    ("path", "why"),
    [
        (".github/workflows/ci.yml", "CI"),
        ("package-lock.json", "manifest"),
        ("sub/requirements-dev.txt", "manifest"),
        ("tests/test_app.py", "test file"),
        ("src/app.test.js", "test file"),
        ("conftest.py", "test file"),
        (".circleci/config.yml", "CI"),
    ],
)
def test_files_gate_never_allows_ci_manifests_or_tests(path: str, why: str) -> None:
    diff = EDIT.replace("app.py", path)
    result = gates.gate_files(summarize(diff), {path})
    assert not result.ok
    assert why in result.reason


def test_files_gate_allows_only_in_app_frame_files() -> None:
    assert gates.gate_files(summarize(EDIT), {"app.py"}).ok
    assert not gates.gate_files(summarize(EDIT), {"other.py"}).ok


def test_malformed_diffs_are_refused() -> None:
    for diff in (
        "garbage",
        "--- /dev/null\n+++ b/new.py\n@@ -0,0 +1 @@\n+x\n",
        EDIT.replace("b/app.py", "b/../etc/passwd"),
    ):
        assert not gates.gate_well_formed(summarize(diff)).ok


def test_size_gate_counts_changed_lines() -> None:
    big = (
        "--- a/a.py\n+++ b/a.py\n@@ -1,11 +1,11 @@\n"
        + "".join(f"-l{i}\n" for i in range(11))
        + "".join(f"+m{i}\n" for i in range(11))
    )
    assert summarize(EDIT).changed_lines == 1
    assert not gates.gate_size(summarize(big), 10).ok


EXC = ("NameError", "name 'totl' is not defined")


def _counts(passed: set[str], failed: dict[str, str]) -> RunCounts:
    return RunCounts(frozenset(passed), frozenset(failed), failed)


def test_proven_when_the_failing_test_flips_and_nothing_breaks() -> None:
    before = _counts({"a"}, {"b": "NameError: name 'totl' is not defined"})
    verdict, flipped, broken = gates.classify(before, _counts({"a", "b"}, {}), EXC)
    assert (verdict, flipped, broken) == ("proven", ("b",), ())


def test_safe_when_no_test_covered_the_bug() -> None:
    assert gates.classify(_counts({"a"}, {}), _counts({"a"}, {}), EXC)[0] == "safe"


def test_refused_when_a_passing_test_breaks_or_the_covering_test_still_fails() -> None:
    before = _counts({"a"}, {"b": "NameError: name 'totl' is not defined"})
    assert gates.classify(before, _counts({"b"}, {"a": "boom"}), EXC)[0] == "refused"
    assert gates.classify(before, _counts({"a"}, {"b": "AssertionError"}), EXC)[0] == "refused"


def test_a_collection_error_flips_when_its_module_passes() -> None:
    before = _counts(set(), {"tests.test_app": "ImportError: cannot import name 'x'"})
    after = _counts({"tests.test_app::test_one"}, {})
    assert gates.classify(before, after, ("ImportError", "cannot import name 'x'"))[:2] == (
        "proven",
        ("tests.test_app",),
    )


def test_junit_and_tap_give_per_test_results() -> None:
    junit = parse_junit(
        '<testsuites><testsuite><testcase classname="t.m" name="ok"/>'
        '<testcase classname="t.m" name="bad"><failure message="NameError: x">tb</failure></testcase>'
        '<testcase classname="t.m" name="skip"><skipped/></testcase></testsuite></testsuites>'
    )
    assert junit.passed == {"t.m::ok"}
    assert junit.failed == {"t.m::bad"}
    assert "NameError" in junit.failures["t.m::bad"]
    tap = parse_tap(
        "TAP version 13\nok 1 - adds\nnot ok 2 - subtracts\n  ---\n  error: 'ReferenceError: x'\nok 3 - later # SKIP\n1..3\n"
    )
    assert tap.passed == {"adds"}
    assert tap.failed == {"subtracts"}
    assert "ReferenceError" in tap.failures["subtracts"]
