"""Trace shapes found in the held-out sets: each reads as its runtime printed it."""

from __future__ import annotations

from autotriage.understanding.text import parse_text


def test_rollbar_frames_under_their_exception_line_read_newest_first() -> None:
    text = 'NoMethodError: boom\n  File "/app/a.rb", line 1, in f\n  File "/app/b.rb", line 2, in g'
    (event,) = parse_text(text)
    exc = event.exceptions[-1]
    assert (exc.type, [f.lineno for f in exc.frames]) == ("NoMethodError", [2, 1])
    log_line = 'ERROR: request failed\n  File "/a.py", line 1, in f\n  File "/b.py", line 2, in g'
    (event,) = parse_text(log_line)
    assert (event.exceptions[-1].type, [f.lineno for f in event.exceptions[-1].frames]) == (
        "Error",
        [1, 2],
    )


def test_a_worker_traceback_quoted_by_multiprocessing_is_the_cause_of_one_event() -> None:
    text = "\n".join(
        [
            "multiprocessing.pool.RemoteTraceback: ",
            '"""',
            "Traceback (most recent call last):",
            '  File "/app/jobs.py", line 5, in work',
            "ZeroDivisionError: integer division or modulo by zero",
            '"""',
            "",
            "The above exception was the direct cause of the following exception:",
            "",
            "Traceback (most recent call last):",
            '  File "/usr/lib/python3.11/multiprocessing/pool.py", line 774, in get',
            "ZeroDivisionError: integer division or modulo by zero",
        ]
    )
    (event,) = parse_text(text)
    assert [(e.frames[-1].lineno, e.link) for e in event.exceptions] == [(5, "cause"), (774, None)]


def test_monolog_context_exception_with_its_previous_exception() -> None:
    text = "\n".join(
        [
            '[2024-06-17 16:37:25] production.ERROR: failed {"exception":"[object] '
            "(RuntimeException(code: 0): outer at /app/src/A.php:12)",
            "[stacktrace]",
            "#0 /app/src/B.php(20): App\\\\A->run()",
            "#1 {main}",
            "[previous exception] [object] (PDOException(code: 2002): refused at /app/src/Db.php:7)",
            "[stacktrace]",
            "#0 /app/src/A.php(10): App\\\\Db->connect()",
            "#1 {main}",
            '"} ',
        ]
    )
    (event,) = parse_text(text)
    assert [e.type for e in event.exceptions] == ["PDOException", "RuntimeException"]
    raised = event.exceptions[-1].frames[-1]
    assert (raised.filename, raised.lineno, raised.function) == (
        "/app/src/A.php",
        12,
        "App\\A->run",
    )


def test_a_php_error_page_flattened_onto_one_line_reads_as_its_trace() -> None:
    text = (
        "Fatal error: Uncaught Error: Call to undefined function f() in /app/a.php:60 Stack "
        "trace: #0 /app/b.php(107): load() #1 /app/index.php(17): boot() #2 {main} thrown in "
        "/app/a.php on line 60"
    )
    (event,) = parse_text(text)
    frame = event.exceptions[-1].frames[-1]
    assert (event.exceptions[-1].type, frame.filename, frame.lineno, frame.function) == (
        "Error",
        "/app/a.php",
        60,
        "load",
    )


def test_apache_error_log_php_fatal_with_its_referer() -> None:
    text = (
        "[Fri Jan 02 06:31:55 2015] [error] [client 127.4.103.1] PHP Fatal error: Call to "
        "undefined function g() in /app/s.php on line 66, referer: https://example.org/admin/"
    )
    (event,) = parse_text(text)
    frame = event.exceptions[-1].frames[-1]
    assert (event.exceptions[-1].type, frame.filename, frame.lineno) == (
        "PHP Fatal error",
        "/app/s.php",
        66,
    )


def test_a_trace_logged_with_escaped_newlines_is_read_line_by_line() -> None:
    text = 'job failed: Traceback (most recent call last):\\n  File "/app/j.py", line 3, in run\\nKeyError: 1'
    (event,) = parse_text(text)
    assert (event.exceptions[-1].type, event.exceptions[-1].frames[-1].lineno) == ("KeyError", 3)
    assert parse_text("saved to C:\\new\\table")[0].exceptions == []


def test_dotnet_headless_frames_a_label_before_the_type_and_a_wrapped_arrow() -> None:
    headless = (
        "   at Shop.Orders.Repository.Load(Int32 id)\n   at Shop.Orders.Service.Get(Int32 id)"
    )
    (event,) = parse_text(headless)
    assert event.platform == "csharp"
    assert event.exceptions[-1].frames[-1].function == "Load"
    labelled = "\n".join(
        [
            "Caught:System.Data.DataException: outer ---",
            "> System.InvalidOperationException: inner",
            "   at Shop.Db.Open() in /src/Db.cs:line 9",
            "   --- End of inner exception stack trace ---",
            "   at Shop.Db.Query() in /src/Db.cs:line 20",
        ]
    )
    (event,) = parse_text(labelled)
    assert [(e.type, e.frames[-1].lineno) for e in event.exceptions] == [
        ("System.InvalidOperationException", 9),
        ("System.Data.DataException", 20),
    ]


def test_a_reporter_label_before_a_jvm_type_and_notes_after_frames() -> None:
    text = "Fatal Exception: java.lang.OutOfMemoryError: heap\n       at a.b.C.d(C.kt:5)"
    (event,) = parse_text(text)
    assert (event.exceptions[-1].type, event.exceptions[-1].frames[-1].lineno) == (
        "java.lang.OutOfMemoryError",
        5,
    )
    noted = 'Exception in thread "main" java.lang.Exception\n\tat a.B.c(B.kt:20) // here'
    (event,) = parse_text(noted)
    assert event.exceptions[-1].frames[-1].lineno == 20


def test_nginx_error_log_lines_carrying_php_fpm_messages() -> None:
    text = (
        '2013/05/30 22:07:34 [error] 19162#0: *490 FastCGI sent in stderr: "PHP message: PHP '
        "Fatal error:  Maximum execution time of 30 seconds exceeded in /app/view.phtml on line "
        '10" while reading response header from upstream, client: 10.0.0.1, server: x'
    )
    (event,) = parse_text(text)
    frame = event.exceptions[-1].frames[-1]
    assert (event.exceptions[-1].type, frame.filename, frame.lineno) == (
        "PHP Fatal error",
        "/app/view.phtml",
        10,
    )


def test_rails_gem_frames_in_a_code_span_closed_by_a_backtick() -> None:
    text = (
        "`NoMethodError (undefined method `collect' for nil:NilClass):\n"
        "       whoops (0.1.15) lib/whoops/strategy.rb:46:in `block in build`\n"
        "       app/models/user.rb:3:in `save'`"
    )
    (event,) = parse_text(text)
    exc = event.exceptions[-1]
    frame = exc.frames[-1]
    assert (exc.type, frame.filename, frame.lineno, frame.function) == (
        "NoMethodError",
        "lib/whoops/strategy.rb",
        46,
        "block in build",
    )
