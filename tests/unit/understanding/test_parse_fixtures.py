"""Every trace fixture, as written and as logs mangle it, reads to the expected exception."""

from __future__ import annotations

import json
from typing import Any

import pytest

from autotriage.models import ErrorEvent
from autotriage.understanding.text import parse_text
from tests.support import fixture_path

TRACES = fixture_path("traces")
EXPECTED: dict[str, dict[str, Any]] = json.loads((TRACES / "expected.json").read_text())
NAMES = sorted(EXPECTED)


def _text(name: str) -> str:
    return (TRACES / name).read_text(encoding="utf-8")


def _check(event: ErrorEvent, expected: dict[str, Any]) -> None:
    exc = event.primary_exception
    assert exc is not None, event.message
    assert event.platform == expected["platform"]
    assert [e.type for e in event.exceptions] == expected["chain"]
    assert exc.type == expected["type"]
    assert exc.value == expected["value"]
    frame = exc.crashing_frame
    assert frame is not None
    assert (frame.filename or "").replace("\\", "/").rsplit("/", 1)[-1] == expected["file"]
    assert frame.lineno == expected["line"]
    assert frame.function == expected["function"]


def test_every_fixture_has_an_expectation() -> None:
    on_disk = {str(p.relative_to(TRACES)) for p in TRACES.glob("*/*.txt")}
    assert on_disk == set(EXPECTED)
    assert {name.split("/")[0] for name in on_disk} >= {
        "python",
        "node",
        "java",
        "go",
        "ruby",
        "dotnet",
        "php",
        "browser",
    }


@pytest.mark.parametrize("name", NAMES)
def test_fixture_reads_as_expected(name: str) -> None:
    events = parse_text(_text(name))
    assert len(events) == 1
    _check(events[0], EXPECTED[name])


@pytest.mark.parametrize("name", NAMES)
def test_every_line_prefixed_with_timestamp_and_level(name: str) -> None:
    prefixed = "\n".join(
        f"2024-03-07T10:15:{i % 60:02d}.{i:03d}Z ERROR [worker-3] {line}"
        for i, line in enumerate(_text(name).splitlines())
    )
    events = parse_text(prefixed)
    assert len(events) == 1
    _check(events[0], EXPECTED[name])
    assert events[0].level == "error"


@pytest.mark.parametrize("name", NAMES)
def test_kubernetes_cri_prefix(name: str) -> None:
    prefixed = "\n".join(
        f"2024-03-07T10:15:02.123456789Z stderr F {line}" for line in _text(name).splitlines()
    )
    _check(parse_text(prefixed)[0], EXPECTED[name])


@pytest.mark.parametrize("name", NAMES)
def test_trace_inside_a_json_log_line(name: str) -> None:
    record = {"level": "error", "msg": "request failed", "stack": _text(name), "service": "api"}
    events = parse_text(json.dumps(record))
    assert len(events) == 1
    _check(events[0], EXPECTED[name])
    assert events[0].service == "api"


@pytest.mark.parametrize("name", NAMES)
def test_docker_json_file_lines(name: str) -> None:
    lines = [
        json.dumps({"log": line + "\n", "stream": "stderr", "time": "2024-03-07T10:15:02Z"})
        for line in _text(name).splitlines()
    ]
    _check(parse_text("\n".join(lines))[0], EXPECTED[name])


def test_several_traces_of_several_runtimes_in_one_text() -> None:
    names = [
        "python/chained_cause.txt",
        "java/orders.txt",
        "node/async_error.txt",
        "go/nil_map_goroutine.txt",
    ]
    text = "\n".join(
        f"2024-03-07 10:15:0{i} INFO handled request {i}\n{_text(name)}"
        for i, name in enumerate(names)
    )
    events = parse_text(text)
    assert len(events) == len(names)
    for event, name in zip(events, names, strict=True):
        _check(event, EXPECTED[name])


def test_log_message_before_a_trace_is_kept_in_the_message() -> None:
    event = parse_text(_text("python/logged.txt"))[0]
    assert event.message.splitlines()[0] == "charge failed"
    assert event.title == "ValueError: negative amount -5 for order ord_8f3a"


def test_truncated_trace_keeps_the_frames_it_has() -> None:
    lines = _text("java/orders.txt").splitlines()
    event = parse_text("\n".join(lines[:3]))[0]
    exc = event.primary_exception
    assert exc is not None
    assert exc.type == "java.lang.IllegalStateException"
    assert [f.function for f in exc.frames] == ["main", "loadOrder"]


def test_python_trace_cut_before_its_exception_line() -> None:
    text = "\n".join(_text("python/caret.txt").splitlines()[:-1])
    exc = parse_text(text)[0].primary_exception
    assert exc is not None
    assert exc.frames[-1].function == "total"


def test_plain_log_line_is_a_message_only_event() -> None:
    events = parse_text("2024-03-07 10:15:02,123 WARNING [billing] card 4242 declined for user 17")
    assert len(events) == 1
    assert events[0].exceptions == []
    assert events[0].message == "card 4242 declined for user 17"
    assert events[0].level == "warning"


def test_java_cause_gets_the_enclosing_frames_back() -> None:
    event = parse_text(_text("java/orders.txt"))[0]
    cause = event.exceptions[0]
    # "... 1 more" stands for Orders.main, the enclosing trace's oldest frame.
    assert cause.frames[0].function == "main"
    assert cause.frames[-1].function == "forInputString"
    assert not cause.frames[-1].in_app
    assert event.tags.get("thread") == "main"


def _in_app(name: str) -> dict[str, bool]:
    """``module-or-file-name:function`` -> in_app, for every frame of the fixture."""
    event = parse_text(_text(name))[0]
    out = {}
    for exc in event.exceptions:
        for f in exc.frames:
            where = f.module or (f.filename or "").replace("\\", "/").rsplit("/", 1)[-1]
            out[f"{where}:{f.function}"] = f.in_app
    return out


@pytest.mark.parametrize(
    ("name", "app", "library"),
    [
        (
            "python/frozen_import.txt",
            "frozen_import.py:load_plugin",
            "<frozen importlib._bootstrap>:_gcd_import",
        ),
        ("python/chained_cause.txt", "chained_cause.py:load_config", "decoder.py:raw_decode"),
        ("node/internal_fs.txt", "internal_fs.js:readSettings", "node:fs:Object.readFileSync"),
        ("node/type_error.txt", "type_error.js:renderAll", "<anonymous>:Array.map"),
        (
            "java/npe.txt",
            "com.example.users.Npe:region",
            "java.util.stream.ReferencePipeline:collect",
        ),
        (
            "go/nil_pointer_http.txt",
            "github.com/acme/api/handlers:(*UserHandler).Get",
            "net/http:(*conn).serve",
        ),
        ("ruby/no_method.txt", "Order:total", "Sidekiq::Processor:execute_job"),
        (
            "dotnet/null_reference.txt",
            "Api.Controllers.UsersController:GetProfile",
            "Microsoft.AspNetCore.Mvc.Infrastructure.ControllerActionInvoker:InvokeActionMethodAsync",
        ),
        (
            "php/uncaught.txt",
            "Price.php:App\\Money\\Price::fromString",
            "HttpKernel.php:Symfony\\Component\\HttpKernel\\HttpKernel->handle",
        ),
        (
            "browser/chrome_webpack.txt",
            "CartView.tsx:CartView.render",
            "react-dom.development.js:finishClassComponent",
        ),
    ],
)
def test_in_app_defaults_per_runtime(name: str, app: str, library: str) -> None:
    flags = _in_app(name)
    assert flags[app] is True
    assert flags[library] is False


def test_lambda_python_error_document() -> None:
    document = {
        "errorMessage": "'order_id'",
        "errorType": "KeyError",
        "requestId": "1b2c3d4e-aaaa-bbbb-cccc-123456789abc",
        "stackTrace": [
            '  File "/var/task/handler.py", line 12, in lambda_handler\n    return load(event)\n',
            '  File "/var/task/orders/load.py", line 4, in load\n    return event["order_id"]\n',
        ],
    }
    (event,) = parse_text(json.dumps(document))
    exc = event.primary_exception
    assert exc is not None
    assert (exc.type, exc.value) == ("KeyError", "'order_id'")
    assert exc.frames[-1].function == "load"
    assert exc.frames[-1].lineno == 4
    assert exc.frames[-1].context_line == 'return event["order_id"]'


def test_lambda_node_error_document() -> None:
    document = {
        "errorType": "TypeError",
        "errorMessage": "Cannot read properties of undefined (reading 'id')",
        "stackTrace": [
            "TypeError: Cannot read properties of undefined (reading 'id')",
            "    at Runtime.handler (/var/task/index.js:7:24)",
            "    at Runtime.handleOnceNonStreaming (file:///var/runtime/index.mjs:1173:29)",
        ],
    }
    (event,) = parse_text(json.dumps(document))
    frame = event.primary_exception.crashing_frame  # type: ignore[union-attr]
    assert frame is not None
    assert (frame.filename, frame.lineno, frame.function) == (
        "/var/task/index.js",
        7,
        "Runtime.handler",
    )


def test_slack_message_with_fences_and_entities() -> None:
    text = _text("python/caret.txt").replace("<module>", "&lt;module&gt;")
    (event,) = parse_text(f"prod is down :fire:\n```{text}```")
    _check(event, EXPECTED["python/caret.txt"])
    assert event.primary_exception.frames[0].function == "<module>"  # type: ignore[union-attr]


def test_culprit_names_the_crashing_frame() -> None:
    assert parse_text(_text("java/orders.txt"))[0].culprit == "com.example.shop.Orders in loadOrder"
    assert parse_text(_text("php/memory.txt"))[0].culprit == "/var/www/app/src/Report/Exporter.php"
    assert parse_text("just a log line")[0].culprit is None
