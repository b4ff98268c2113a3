"""Per-test results from a test run: JUnit XML (pytest ``--junitxml``, node's ``junit``
reporter) or TAP (node's test runner, most JS runners), so the test that flipped is known."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from autotriage.actions.fixes.model import RunCounts

_TAP_RESULT = re.compile(
    r"^(?P<indent>\s*)(?P<ok>not ok|ok)\s+\d+\s*-?\s*(?P<name>[^#]*?)\s*"
    r"(?:#\s*(?P<directive>\w+).*)?$"
)


def _case_id(case: ET.Element) -> str:
    classname = case.get("classname") or ""
    name = case.get("name") or "?"
    return f"{classname}::{name}" if classname and classname != "test" else name


def parse_junit(text: str) -> RunCounts:
    """Passed and failed test ids (and failure messages) from a JUnit XML report."""
    root = ET.fromstring(text)  # noqa: S314 - see the module import note
    passed: set[str] = set()
    failed: set[str] = set()
    failures: dict[str, str] = {}
    for case in root.iter("testcase"):
        test_id = _case_id(case)
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        if case.find("skipped") is not None:
            continue
        if problem is None:
            passed.add(test_id)
            continue
        failed.add(test_id)
        failures[test_id] = f"{problem.get('message') or ''}\n{problem.text or ''}"[:4000]
    return RunCounts(frozenset(passed), frozenset(failed - passed), failures)


def parse_tap(text: str) -> RunCounts:
    """Passed and failed test names from TAP output (subtests folded into their names)."""
    passed: set[str] = set()
    failed: set[str] = set()
    failures: dict[str, str] = {}
    last: str | None = None
    for line in text.splitlines():
        match = _TAP_RESULT.match(line)
        if match is None:
            if last is not None:
                failures[last] = (failures.get(last, "") + line + "\n")[:4000]
            continue
        if (match["directive"] or "").lower() in {"skip", "todo"}:
            last = None
            continue
        name = match["name"].strip() or "?"
        if match["indent"]:
            name = f"  {name}"  # a subtest; node repeats its parent as a top-level line
        if match["ok"] == "ok":
            passed.add(name)
            last = None
        else:
            failed.add(name)
            failures[name] = ""
            last = name
    return RunCounts(frozenset(passed), frozenset(failed), failures)


def read_results(report: Path, output: str, exit_code: int) -> RunCounts:
    """The report the command wrote when there is one, else TAP in its output, else the
    exit code alone as one test named ``(suite)``."""
    if report.exists() and report.stat().st_size:
        try:
            return parse_junit(report.read_text(errors="replace"))
        except ET.ParseError:
            pass
    tap = parse_tap(output)
    if tap.passed or tap.failed:
        return tap
    if exit_code == 0:
        return RunCounts(frozenset({"(suite)"}))
    return RunCounts(frozenset(), frozenset({"(suite)"}), {"(suite)": output[-4000:]})
