"""Property tests: no input makes the readers raise, and their results stay well-formed."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autotriage.understanding.fingerprint import compute_fingerprint
from autotriage.understanding.logtext import clean_lines
from autotriage.understanding.parameterize import parameterize, template
from autotriage.understanding.parsers import PARSERS
from autotriage.understanding.scrub import scrub_event, scrub_text
from autotriage.understanding.text import parse_text_strict
from tests.support import fixture_path

TRACES = sorted(fixture_path("traces").glob("*/*.txt"))
TRACE_LINES = [p.read_text(encoding="utf-8").splitlines() for p in TRACES]
# Pieces of trace syntax, so random text often looks almost like a trace.
TOKENS = [
    "Traceback (most recent call last):",
    '  File "/app/x.py", line 3, in f',
    '  File "',
    "    ^^^^",
    "  + Exception Group Traceback (most recent call last):",
    "  | ",
    "  +-+---- 1 ----",
    "The above exception was the direct cause of the following exception:",
    "    at f (/app/x.js:1:2)",
    "    at ",
    "\tat com.x.Y.z(Y.java:1)",
    "Caused by: java.lang.X: y",
    "\t... 3 more",
    "Suppressed: a.B",
    "panic: boom",
    "goroutine 1 [running]:",
    "main.f(0x1)",
    "\t/app/main.go:1 +0x1",
    "created by main.g in goroutine 1",
    "/app/x.rb:1:in 'f': m (E)",
    "\tfrom /app/y.rb:2:in '<main>'",
    "System.X: y ---> System.Z: w",
    "   at A.B.C() in /x.cs:line 3",
    "   --- End of inner exception stack trace ---",
    "PHP Fatal error:  Uncaught E: m in /a.php:1",
    "Stack trace:",
    "#0 /a.php(2): f()",
    "#1 {main}",
    "  thrown in /a.php on line 1",
    "f@https://x/y.js:1:2",
    "Error: m",
    "TypeError: x",
    '{"level":"error","msg":"m","stack":"Error: a\\n    at f (/x.js:1:2)"}',
    '{"log":"Traceback (most recent call last):\\n"}',
    "2024-03-07 10:15:02,123 ERROR [w] ",
    "stderr F ",
    "[ERROR] ",
    "",
    "\x00",
    "\u202e",
    "9" * 30,
]

fragments = st.lists(st.one_of(st.sampled_from(TOKENS), st.text(max_size=40)), max_size=30)


@st.composite
def mutated_traces(draw: st.DrawFn) -> str:
    """A real trace with lines dropped, duplicated, swapped, cut or spliced with noise."""
    lines = list(draw(st.sampled_from(TRACE_LINES)))
    for _ in range(draw(st.integers(0, 6))):
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["drop", "dup", "cut", "noise", "swap", "indent"]))
        if action == "drop":
            del lines[i]
        elif action == "dup":
            lines.insert(i, lines[i])
        elif action == "cut":
            lines[i] = lines[i][: draw(st.integers(0, max(0, len(lines[i]) - 1)))]
        elif action == "noise":
            lines.insert(i, draw(st.one_of(st.sampled_from(TOKENS), st.text(max_size=30))))
        elif action == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        else:
            lines[i] = " " * draw(st.integers(0, 8)) + lines[i].lstrip()
    text = "\n".join(lines)
    if draw(st.booleans()):
        text = json.dumps({"level": "error", "message": text})
    return text


def _well_formed(text: str) -> None:
    events = parse_text_strict(text)
    assert events
    for event in events:
        assert event.source == "text"
        for exc in event.exceptions:
            assert exc.type
            for frame in exc.frames:
                assert frame.lineno is None or frame.lineno >= 0
        fp = compute_fingerprint(scrub_event(event))
        assert fp.primary in fp.hashes
        assert all(len(h) == 32 for h in fp.lookup)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_random_text_never_raises(text: str) -> None:
    _well_formed(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fragments)
def test_trace_like_fragments_never_raise(parts: list[str]) -> None:
    text = "\n".join(parts)
    _well_formed(text)
    lines = clean_lines(text).lines
    for _, parse in PARSERS:
        for start in range(len(lines)):
            trace = parse(lines, start)
            assert trace is None or start < trace.end <= len(lines)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_traces())
def test_mutated_real_traces_never_raise(text: str) -> None:
    _well_formed(text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_template_is_idempotent_and_scrub_never_raises(text: str) -> None:
    once = template(text)
    assert template(once) == once
    parameterize(text)
    scrubbed = scrub_text(text, ips=True)
    assert scrub_text(scrubbed, ips=True) == scrubbed
