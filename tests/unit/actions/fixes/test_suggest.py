"""CPython's "Did you mean" rule: our reimplementation agrees with the interpreter's own."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from autotriage.actions.fixes.suggest import check_hint, closest, distance

PAIRS = [
    ("totl", ["total", "tool", "other"]),
    ("lenn", ["len", "lent"]),
    ("Prnt", ["print", "Print"]),
    ("aaaa", ["bbbb"]),
    ("subtotl", ["subtotal", "subtotals", "total"]),
    ("x", ["y", "xx", "xy"]),
    ("fooBar", ["foobar", "foo_bar"]),
    ("reslt", ["result", "resolt", "res"]),
    ("a" * 45, ["a" * 44]),
    ("descibe", ["describe", "descend", "desc"]),
]

_PROBE = """
import json, sys, io, contextlib
cases = json.loads(sys.argv[1])
out = []
for name, candidates in cases:
    scope = {c: 1 for c in candidates}
    try:
        exec(name, scope)
    except NameError as exc:
        buf = io.StringIO()
        with contextlib.redirect_stderr(buf):
            sys.__excepthook__(type(exc), exc, exc.__traceback__)
        text = buf.getvalue()
        mark = "Did you mean: '"
        out.append(text.split(mark, 1)[1].split("'", 1)[0] if mark in text else None)
print(json.dumps(out))
"""


def _interpreter_suggestions(cases: list[tuple[str, list[str]]]) -> list[str | None]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(cases)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def test_agrees_with_the_interpreter_when_there_is_no_tie() -> None:
    expected = _interpreter_suggestions(PAIRS)
    for (name, candidates), theirs in zip(PAIRS, expected, strict=True):
        choice = closest(name, [*candidates, *dir(__builtins__)])
        if choice.tied:
            assert theirs in choice.tied
        else:
            assert choice.name == theirs, (name, candidates)


def test_a_case_flip_costs_less_than_a_substitution() -> None:
    assert distance("Print", "print", 10) == 1
    assert distance("Xrint", "print", 10) == 2


def test_refuses_equally_close_names() -> None:
    choice = closest("lft", ["left", "lift"])
    assert choice.name is None
    assert choice.tied == ("left", "lift")
    assert "equally close" in choice.reason


def test_the_interpreters_hint_counts_only_when_it_agrees() -> None:
    assert check_hint("totl", "total", ["total", "x"]).name == "total"
    disagreeing = check_hint("totl", "tool", ["total", "x"])
    assert disagreeing.name is None
    assert "interpreter suggests 'tool'" in disagreeing.reason


@pytest.mark.parametrize("size", [750, 800])
def test_no_suggestion_from_a_huge_namespace(size: int) -> None:
    assert closest("name0", [f"name{i}x" for i in range(size)]).name is None
