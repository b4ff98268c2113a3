"""Log decoration comes off; the trace and its indentation stay."""

from __future__ import annotations

import json

import pytest

from autotriage.config import load_settings
from autotriage.understanding import scrub
from autotriage.understanding.logtext import clean_lines, reports_error, starts_record, strip_prefix
from autotriage.understanding.text import parse_text


@pytest.mark.parametrize(
    ("line", "rest", "level"),
    [
        ("2024-03-07 10:15:02,123 ERROR [orders.worker] charge failed", "charge failed", "error"),
        ("2024-03-07T10:15:02.123Z\tWARN\tpool exhausted", "pool exhausted", "warning"),
        (
            "[ERROR]\t2024-03-07T10:15:02.123Z\t1b2c3d4e-aaaa-bbbb-cccc-123456789abc\tboom",
            "boom",
            "error",
        ),
        ('Mar  7 10:15:02 web-1 app[4242]:   File "x.py", line 1', '  File "x.py", line 1', None),
        ("2024-03-07T10:15:02.1Z stderr F     at f (x.js:1:2)", "    at f (x.js:1:2)", None),
        ("2024/03/07 10:15:02 http: panic serving 10.0.0.1", "http: panic serving 10.0.0.1", None),
        ("[07-Mar-2024 10:15:02 UTC] PHP Fatal error:  x", "PHP Fatal error:  x", None),
        ("10:15:02.123 [main] ERROR c.e.App - failed", "c.e.App - failed", "error"),
        ("SEVERE: connection lost", "connection lost", "error"),
        ("Error: not a prefix", "Error: not a prefix", None),
        ("ValueError: x", "ValueError: x", None),
        ('  File "x.py", line 1', '  File "x.py", line 1', None),
    ],
)
def test_prefixes(line: str, rest: str, level: str | None) -> None:
    assert strip_prefix(line) == (rest, level)


def test_json_record_gives_message_stack_level_and_fields() -> None:
    record = {
        "level": "fatal",
        "message": "worker died",
        "error": {"type": "KeyError", "message": "'sku'", "stack": "KeyError: 'sku'\n  at x"},
        "service": "orders",
        "env": "prod",
    }
    clean = clean_lines(json.dumps(record))
    assert clean.lines == ["worker died", "KeyError: 'sku'", "  at x"]
    assert clean.level == "fatal"
    assert clean.fields == {"service": "orders", "env": "prod"}


def test_pretty_printed_json_document_and_stack_as_list() -> None:
    text = json.dumps({"severity": "ERROR", "msg": "m", "stack_trace": ["a", "b"]}, indent=2)
    clean = clean_lines(text)
    assert clean.lines == ["m", "a", "b"]
    assert clean.level == "error"


def test_broken_json_is_just_text() -> None:
    assert clean_lines('{"msg": "unterminated').lines == ['{"msg": "unterminated']


def test_most_severe_level_wins() -> None:
    text = "2024-03-07 10:15:02 INFO a\n2024-03-07 10:15:03 CRITICAL b\n2024-03-07 10:15:04 WARN c"
    assert clean_lines(text).level == "fatal"


def test_outbound_policy_follows_settings() -> None:
    text = "ann@example.com at 10.0.0.1"
    chosen = scrub.ScrubPolicy.from_settings(
        load_settings(env_file=None, SCRUB_EMAILS="false", SCRUB_IPS="true").scrub
    )
    assert scrub.scrub_text(text, chosen) == "ann@example.com at [REDACTED:ip]"
    default = scrub.ScrubPolicy.from_settings(load_settings(env_file=None).scrub)
    assert scrub.scrub_text(text, default) == "[REDACTED:email] at 10.0.0.1"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-05-28 20:26:39,610 INFO orders.views POST /orders 500 12ms", False),
        ("2026-05-28 20:26:39 ERROR payment failed", True),
        ("[ERROR]\t2026-05-28T20:26:38Z\tabc\tsomething broke", True),
        ("panic: runtime error: index out of range [3] with length 3", True),
        ("ValueError: bad input", True),
        ("user clicked the Error page link", False),
        ('{"level":"warn","msg":"slow"}', False),
        ('{"errorType":"Error","errorMessage":"x"}', True),
        ("thread 'main' (23060) panicked at src/main.rs:2:5:", True),
        ("fatal error: concurrent map writes", True),
        ("Unhandled exception. System.InvalidOperationException: x", True),
        ("PHP Fatal error:  Uncaught Error: x in /a.php:3", True),
        ("the thread 'main' panicked at lunch", False),
    ],
)
def test_reports_error(text: str, expected: bool) -> None:
    # Lines a CloudWatch filter pattern matched: only some of them report an error.
    assert reports_error(text) is expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("2026-05-28 20:26:38 ERROR boom", True),
        ("[ERROR]\t2026-05-28T20:26:38Z\tabc\tbroke", True),
        ("START RequestId: 5d1c Version: $LATEST", True),
        ('{"level":"error"}', True),
        ("Traceback (most recent call last):", False),
        ('  File "/srv/x.py", line 1, in f', False),
        ("ZeroDivisionError: division by zero", False),
        ("    at total (/var/task/pricing.js:41:9)", False),
    ],
)
def test_starts_record(line: str, expected: bool) -> None:
    assert starts_record(line) is expected


def test_lambda_python_error_line_goes_after_its_traceback() -> None:
    text = (
        "[ERROR] KeyError: 'order_id'\nTraceback (most recent call last):\n"
        '  File "/var/task/handler.py", line 12, in lambda_handler\n'
        "    order = event['order_id']"
    )
    assert clean_lines(text).lines[-1] == "KeyError: 'order_id'"


def test_node_invoke_error_line_expands_its_json_document() -> None:
    line = (
        "2026-05-28T20:26:38.114Z\t5d1c\tERROR\tInvoke Error \t"
        '{"errorType":"TypeError","errorMessage":"cart is undefined",'
        '"stack":["TypeError: cart is undefined","    at total (/var/task/pricing.js:41:9)"]}'
    )
    lines = clean_lines(line).lines
    assert lines == ["TypeError: cart is undefined", "    at total (/var/task/pricing.js:41:9)"]


def test_structlog_dict_tracebacks_read_as_the_traceback_python_prints() -> None:
    record = {
        "event": "job failed",
        "level": "error",
        "exception": [
            {
                "exc_type": "KeyError",
                "exc_value": "'id'",
                "is_cause": False,
                "frames": [{"filename": "/app/job.py", "lineno": 9, "name": "run"}],
            },
            {
                "exc_type": "OSError",
                "exc_value": "disk full",
                "is_cause": False,
                "frames": [{"filename": "/app/io.py", "lineno": 3, "name": "save"}],
            },
        ],
    }
    (event,) = parse_text(json.dumps(record))
    assert [(e.type, e.link) for e in event.exceptions] == [
        ("OSError", "context"),
        ("KeyError", None),
    ]
    assert (event.exceptions[-1].frames[-1].filename, event.exceptions[-1].frames[-1].lineno) == (
        "/app/job.py",
        9,
    )
