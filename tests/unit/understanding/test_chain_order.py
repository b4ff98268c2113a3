"""Exception chains from real traces: built cause-first whatever order the runtime prints
them in, each link saying what the runtime said (caused by, or raised while handling), and
rendered in the issue body in that order with the runtime's words."""

from __future__ import annotations

from pathlib import Path

import pytest

from autotriage.actions.render import _trace_text
from autotriage.understanding.text import parse_text

REAL = Path(__file__).resolve().parents[2] / "fixtures" / "traces" / "real"

# trace, then (type, link) cause-first; the runtime's print order is noted beside each.
CHAINS = [
    # Python prints the cause first, then "The above exception was the direct cause...".
    ("python/here__direct_cause.txt", [("KeyError", "cause"), ("ConfigError", None)]),
    # ...or "During handling of the above exception, another exception occurred".
    (
        "python/here__during_handling.txt",
        [("json.decoder.JSONDecodeError", "context"), ("NameError", None)],
    ),
    # Java prints the outermost first and each "Caused by:" after it.
    (
        "java/here__uncaught_caused_by.txt",
        [("java.lang.NumberFormatException", "cause"), ("java.lang.IllegalStateException", None)],
    ),
    (
        "java/fluent_plugin_detect_exceptions_nested_java_exc.txt",
        None,  # checked below: last is the top exception, every other one links as cause
    ),
    # .NET: "Outer ---> Inner" on the header; the inner's frames come first.
    (
        "dotnet/fluent_plugin_detect_exceptions_csharp_nested_exc.txt",
        [("System.InvalidOperationException", "cause"), ("System.InvalidOperationException", None)],
    ),
    # PHP prints the previous (first thrown) first, then "Next" for the one it led to.
    ("php/here__next_chain.txt", [("RuntimeException", "cause"), ("LogicException", None)]),
    (
        "php/here__next_chain_error_log.txt",
        [("RuntimeException", "cause"), ("LogicException", None)],
    ),
    # Node prints the error, then its "[cause]:" indented below.
    ("javascript/here__node_cause.txt", [("Error", "cause"), ("Error", None)]),
    # Ruby 3.1 prints the raised exception, then its cause's backtrace.
    ("ruby/here__cause.txt", [("JSON::ParserError", "cause"), ("ArgumentError", None)]),
]


@pytest.mark.parametrize(("name", "chain"), CHAINS, ids=[c[0] for c in CHAINS])
def test_chains_are_cause_first_with_the_runtimes_link(
    name: str, chain: list[tuple[str, str | None]] | None
) -> None:
    (event,) = parse_text((REAL / name).read_text(encoding="utf-8"))
    got = [(exc.type, exc.link) for exc in event.exceptions]
    if chain is None:
        assert len(got) > 1
        assert [link for _, link in got] == ["cause"] * (len(got) - 1) + [None]
    else:
        assert got == chain


def test_the_message_values_follow_their_exceptions() -> None:
    (event,) = parse_text((REAL / "java/here__uncaught_caused_by.txt").read_text(encoding="utf-8"))
    assert [exc.value for exc in event.exceptions] == ['For input string: "80a"', "bad port"]


def test_the_issue_body_renders_the_chain_cause_first_in_the_runtimes_words() -> None:
    text = (REAL / "python/here__during_handling.txt").read_text(encoding="utf-8")
    (event,) = parse_text(text)
    body = _trace_text(event.exceptions)
    context = "During handling of the above exception, another exception occurred:"
    assert body.index("JSONDecodeError") < body.index(context) < body.index("NameError")
    (caused,) = parse_text((REAL / "java/here__uncaught_caused_by.txt").read_text(encoding="utf-8"))
    body = _trace_text(caused.exceptions)
    cause = "The above exception was the direct cause of the following exception:"
    assert (
        body.index("NumberFormatException")
        < body.index(cause)
        < body.index("IllegalStateException")
    )


def test_a_python_chain_line_with_nothing_after_it_links_to_nothing() -> None:
    text = (REAL / "python/here__direct_cause.txt").read_text(encoding="utf-8")
    cut = text[
        : text.index("The above exception")
        + len("The above exception was the direct cause of the following exception:")
    ]
    (event,) = parse_text(cut)
    assert [(exc.type, exc.link) for exc in event.exceptions] == [("KeyError", None)]
