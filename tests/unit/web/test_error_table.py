"""Every exception autotriage defines sits in errors.py's tree and has an answer at the edge."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import autotriage
from autotriage import errors
from autotriage.web.errors import install

SRC = Path(autotriage.__file__).parent
CLASSES = [
    value
    for value in vars(errors).values()
    if inspect.isclass(value)
    and issubclass(value, BaseException)
    and value.__module__ == errors.__name__
]
# Private control flow that never leaves its module (documented where it is defined).
PRIVATE = {("actions/github/client.py", "_Transient")}


def test_no_exception_class_is_defined_outside_errors_py() -> None:
    found = set()
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC).as_posix()
        if rel == "errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                bases = {ast.unparse(b).rsplit(".", 1)[-1] for b in node.bases}
                if bases & ({"Exception", "ValueError"} | {c.__name__ for c in CLASSES}):
                    found.add((rel, node.name))
    assert found == PRIVATE


def test_every_class_is_drawn_in_the_docstring_tree() -> None:
    drawing = errors.__doc__ or ""
    assert all(issubclass(c, errors.AutotriageError) for c in CLASSES)
    missing = [c.__name__ for c in CLASSES if f" {c.__name__} " not in drawing.replace("\n", " ")]
    assert missing == []
    assert "RateLimited" not in drawing  # folded into Overloaded


SAMPLES: list[tuple[errors.AutotriageError, int, str]] = [
    (errors.SignatureInvalid("bad key", source="sentry"), 401, "unauthorized"),
    (errors.TopicNotAllowed("arn:aws:sns:eu-west-1:1:x"), 403, "forbidden"),
    (errors.PayloadInvalid("event.level: unknown"), 400, "invalid_payload"),
    (errors.PayloadTooLarge("body over 1 MiB"), 413, "payload_too_large"),
    (errors.Overloaded("inbox full"), 503, "overloaded"),
    (errors.Overloaded("over quota", 30, 429, scope="key"), 429, "rate_limited"),
    (errors.ConfigError("GITHUB_TOKEN", "required"), 503, "not_configured"),
    (errors.RulesInvalid("rule 1: 'match' must be a non-empty object"), 503, "not_configured"),
    (errors.SentryApiError("Sentry answered 500"), 502, "source_failed"),
    (errors.ScanBusy(7), 409, "scan_running"),
    (errors.ScanStopped("/ecs/app"), 503, "stopping"),
    (errors.ActionFailed("GitHub kept failing", retryable=True), 502, "action_failed"),
    (errors.GitHubError(422, "Validation Failed"), 502, "action_failed"),
    (errors.Ambiguous("timeout"), 502, "action_failed"),
    (errors.GitError("git fetch failed"), 502, "git_failed"),
    (errors.ForeignCommits("autotriage/fix-abc holds others' commits"), 502, "git_failed"),
]


def _client(exc: Exception) -> TestClient:
    app = FastAPI()
    install(app)

    @app.get("/boom")
    def boom() -> None:
        raise exc

    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize(("exc", "status", "code"), SAMPLES, ids=lambda v: type(v).__name__)
def test_the_table_answers_each_class(exc: errors.AutotriageError, status: int, code: str) -> None:
    response = _client(exc).get("/boom", headers={"x-request-id": "req-1"})
    assert response.status_code == status
    body = response.json()["error"]
    assert (body["code"], body["request_id"]) == (code, "req-1")
    assert body["message"]


def test_every_concrete_class_has_a_sample() -> None:
    sampled = {type(exc) for exc, _, _ in SAMPLES}
    abstract = {errors.AutotriageError, errors.IntakeError, errors.SourceError, errors.ScanError}
    assert {c for c in CLASSES if c not in abstract} - sampled == {errors.Ignored}


def test_ignored_is_a_200_and_a_quota_carries_sentry_rate_limits() -> None:
    ignored = _client(errors.Ignored("issue.assigned needs nothing")).get("/boom")
    assert (ignored.status_code, ignored.json()["status"]) == (200, "ignored")
    quota = _client(errors.Overloaded("over quota", 30, 429, scope="key")).get("/boom")
    assert quota.headers["retry-after"] == "30"
    assert quota.headers["x-sentry-rate-limits"] == "30::key"


def test_errors_carry_what_they_concern() -> None:
    assert errors.SentryApiError("x").source == "sentry"
    assert errors.TopicNotAllowed("arn:t").topic == "arn:t"
    assert errors.ScanStopped("/ecs/app").log_group == "/ecs/app"
    assert errors.ScanBusy(3).scan_id == 3
    assert errors.GitHubError(404, "Not Found").status == 404
    assert errors.PayloadInvalid("x", source="slack").source == "slack"
    assert str(errors.RulesInvalid("rule 2: bad")) == "rule 2: bad"
    assert isinstance(errors.RulesInvalid("x"), ValueError)  # pydantic reports it per field
