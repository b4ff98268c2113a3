"""Log lines as container runtimes and log tools store them: split lines joined, service
prefixes, heroku's dyno tags, Cloud Logging's export, Lambda's shapes among other lines."""

from __future__ import annotations

import json

from autotriage.understanding.logtext import clean_lines
from autotriage.understanding.text import parse_text

LONG = "KeyError: 'no id in " + "r" * 20_000 + "'"
TRACE = ["Traceback (most recent call last):", '  File "/app/job.py", line 9, in run', LONG]


def _cri(lines: list[str]) -> str:
    out = []
    for line in lines:
        while len(line) > 16_384:
            out.append(f"2026-12-04T18:45:00.1Z stderr P {line[:16_384]}")
            line = line[16_384:]
        out.append(f"2026-12-04T18:45:00.1Z stderr F {line}")
    return "\n".join(out)


def test_cri_partial_pieces_are_joined_into_the_line_the_program_printed() -> None:
    lines = clean_lines(_cri(TRACE)).lines
    assert len(lines) == 3
    assert lines[2].startswith("KeyError: 'no id in rrr")
    assert lines[2] == LONG[: len(lines[2])]  # (cut at the parsers' line limit, not split)


def test_docker_records_without_a_newline_continue_on_the_next_record() -> None:
    records = [{"log": x + "\n", "stream": "stderr", "time": "t"} for x in TRACE[:2]]
    records += [
        {"log": LONG[:16_384], "stream": "stderr", "time": "t"},
        {"log": LONG[16_384:] + "\n", "stream": "stderr", "time": "t"},
    ]
    lines = clean_lines("\n".join(json.dumps(r) for r in records)).lines
    assert len(lines) == 3
    assert lines[2] == LONG[: len(lines[2])]


def test_fluent_bit_pieces_tagged_p_are_joined_and_an_unended_piece_is_kept() -> None:
    pieces = [
        {"log": "TypeError: " + "y" * 100, "logtag": "P", "stream": "stderr", "time": "t"},
        {"log": "z", "logtag": "F", "stream": "stderr", "time": "t"},
        {"log": "    at f (/app/a.js:1:1)", "logtag": "F", "stream": "stderr", "time": "t"},
    ]
    text = "\n".join(json.dumps(p) for p in pieces)
    assert clean_lines(text).lines == ["TypeError: " + "y" * 100 + "z", "    at f (/app/a.js:1:1)"]
    (event,) = parse_text(text)
    assert event.exceptions[-1].frames[-1].lineno == 1
    unended = json.dumps({"log": "Error: cut", "stream": "stderr", "time": "t"})
    assert clean_lines(unended).lines == ["Error: cut"]


def test_compose_and_heroku_prefixes_are_removed_and_other_bars_kept() -> None:
    compose = "\n".join(f"worker-1  | {line}" for line in [*TRACE[:2], "ValueError: x"])
    assert clean_lines(compose).lines[0] == "Traceback (most recent call last):"
    heroku = (
        "2018-08-18T17:33:07.759124+00:00 app[web.1]: at Function.Module._load (module.js:474:25)"
    )
    assert clean_lines(heroku).lines == ["at Function.Module._load (module.js:474:25)"]
    table = "name  | value\nrows  | 3"  # no instance number: not a service prefix
    assert clean_lines(table).lines == ["name  | value", "rows  | 3"]


def test_cloud_logging_export_reads_each_entry_text_payload() -> None:
    entries = [
        {"severity": "ERROR", "textPayload": "\n".join([*TRACE[:2], "KeyError: 'id'"])},
        {"severity": "INFO", "textPayload": "started"},
    ]
    text = "```\n" + json.dumps(entries, indent=2) + "\n```"
    events = parse_text(text)
    assert [e.exceptions[-1].type for e in events if e.exceptions] == ["KeyError"]


def test_lambda_python_error_line_returns_after_its_frames_with_noise_around() -> None:
    text = "\n".join(
        [
            "START RequestId: 5d1c Version: $LATEST",
            "[ERROR] KeyError: 'price'",
            "Traceback (most recent call last):",
            '  File "/var/task/app.py", line 6, in get_price',
            '    return item["price"]',
            "END RequestId: 5d1c",
        ]
    )
    lines = clean_lines(text).lines
    assert lines[lines.index('    return item["price"]') + 1] == "KeyError: 'price'"
    (event,) = [e for e in parse_text(text) if e.exceptions]
    assert (event.exceptions[-1].type, event.exceptions[-1].frames[-1].lineno) == ("KeyError", 6)


def test_lambda_rejection_reads_as_its_reason_and_java_frames_get_their_at() -> None:
    rejection = {
        "errorType": "Runtime.UnhandledPromiseRejection",
        "errorMessage": "Error: boom",
        "reason": {
            "errorType": "Error",
            "errorMessage": "boom",
            "stack": ["Error: boom", "    at hello (/var/task/index.js:2:9)"],
        },
        "stack": [
            "Runtime.UnhandledPromiseRejection: Error: boom",
            "    at process.<anonymous> (/var/runtime/index.mjs:1276:17)",
        ],
    }
    (event,) = parse_text(
        "2026-01-29T17:14:37.197Z\tid\tERROR\tUnhandled Promise Rejection \t"
        + json.dumps(rejection)
    )
    assert (event.exceptions[-1].type, event.exceptions[-1].frames[-1].function) == (
        "Error",
        "hello",
    )
    java = {
        "errorMessage": "bad",
        "errorType": "java.lang.IllegalStateException",
        "stackTrace": [
            "com.example.Handler.handleRequest(Handler.java:12)",
            "java.base/java.lang.Thread.run(Thread.java:840)",
        ],
    }
    (event,) = parse_text(json.dumps(java))
    frame = event.exceptions[-1].frames[-1]
    assert (frame.filename, frame.lineno, frame.function) == ("Handler.java", 12, "handleRequest")


def test_a_log_viewer_table_copy_loses_its_dates_and_empty_last_column() -> None:
    rows = [
        "fatal error: concurrent map writes",
        "",
        "goroutine 7 [running]:",
        "runtime.throw(0x1, 0x2)",
        "\t/usr/local/go/src/runtime/panic.go:596 +0x95",
        "main.save(0x3)",
        "\t/app/store.go:12 +0x2a",
    ]
    text = "\n".join(f"August 3rd 2017, 19:28:27.000 {row}   - " for row in rows)
    assert clean_lines(text).lines[4] == "\t/usr/local/go/src/runtime/panic.go:596 +0x95"
    (event,) = parse_text(text)
    assert [f.lineno for f in event.exceptions[-1].frames] == [12, 596]
    assert clean_lines("a - b -\nc -").lines == ["a - b -", "c -"]  # (too few to be a table)


def test_a_handler_label_before_a_node_error_is_not_its_type() -> None:
    text = "Uncaught: TypeError: x is undefined\n    at parse (/app/a.js:7:27)"
    (event,) = parse_text(text)
    assert (event.exceptions[-1].type, event.exceptions[-1].value) == (
        "TypeError",
        "x is undefined",
    )


def test_structured_layouts_serilog_opentelemetry_log4j_and_zap() -> None:
    clef = {
        "@t": "2024-04-23T10:15:02Z",
        "@mt": "failed",
        "@l": "Error",
        "@x": "System.InvalidOperationException: x\n   at Shop.Db.Open() in /src/Db.cs:line 9",
    }
    (event,) = parse_text(json.dumps(clef))
    assert (event.level, event.exceptions[-1].frames[-1].lineno) == ("error", 9)
    otel = {
        "body": "failed",
        "severity_text": "ERROR",
        "attributes": {
            "exception.stacktrace": 'Traceback (most recent call last):\n  File "/app/a.py", line 6, in f\nKeyError: 1'
        },
    }
    (event,) = parse_text(json.dumps(otel, indent=4))
    assert (event.exceptions[-1].type, event.exceptions[-1].frames[-1].lineno) == ("KeyError", 6)
    log4j = {
        "level": "ERROR",
        "message": "m",
        "thrown": {
            "name": "java.io.IOException",
            "message": "disk",
            "extendedStackTrace": [{"class": "a.B", "method": "c", "file": "B.java", "line": 12}],
            "cause": {
                "name": "java.lang.IllegalStateException",
                "extendedStackTrace": [
                    {"class": "a.D", "method": "e", "file": "D.java", "line": 3}
                ],
            },
        },
    }
    (event,) = parse_text(json.dumps(log4j))
    assert [(e.type, e.frames[-1].lineno) for e in event.exceptions] == [
        ("java.lang.IllegalStateException", 3),
        ("java.io.IOException", 12),
    ]
    zap = {
        "level": "error",
        "msg": "m",
        "stacktrace": "main.run\n\t/app/run.go:8\nmain.main\n\t/app/main.go:3",
    }
    (event,) = parse_text(json.dumps(zap))
    assert [(f.function, f.lineno) for f in event.exceptions[-1].frames] == [
        ("main", 3),
        ("run", 8),
    ]
