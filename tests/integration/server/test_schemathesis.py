"""Schemathesis against the app's own /openapi.json: no 5xx, every response as described.

The examples are bounded (`EXAMPLES` per operation) so this runs in CI in bounded time;
a hunt sets ``AUTOTRIAGE_SCHEMATHESIS_EXAMPLES`` higher, and then draws fresh examples
(not CI's fixed ones) each run.
The description covers every route (`autotriage.web.openapi`); the generated requests
carry the API token, and the DSN and OTLP ones an ingest key, so they reach the handlers
behind them rather than stopping at the key check.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from autotriage.config import load_settings
from autotriage.models import utcnow
from autotriage.store.ingest_keys import create_key
from autotriage.web.app import create_app

EXAMPLES = int(os.environ.get("AUTOTRIAGE_SCHEMATHESIS_EXAMPLES", "40"))
HUNT = "AUTOTRIAGE_SCHEMATHESIS_EXAMPLES" in os.environ
TOKEN = "schemathesis-api-token"


OPERATIONS = 30
"""Every operation the app serves (FastAPI's 13, DSN 2, OTLP 2, /metrics, console 11)."""
INGEST_KEY: list[str] = []
PROJECT = 3


def _headers(path: str) -> dict[str, str]:
    if path.startswith("/api/{project_id}/"):
        return {"x-sentry-auth": f"Sentry sentry_key={INGEST_KEY[0]}"}
    if path.startswith("/v1/"):
        return {"authorization": f"Bearer {INGEST_KEY[0]}"}
    return {"authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def api_schema(tmp_path: Path) -> Iterator[schemathesis.BaseSchema]:
    app = create_app(
        load_settings(
            env_file=None,
            DATABASE_URL=f"sqlite:///{tmp_path / 'schemathesis.db'}",
            AUTOTRIAGE_WORKER="false",
            AUTOTRIAGE_API_TOKEN=TOKEN,
            WEBHOOK_SECRET="schemathesis-webhook-secret",
        )
    )
    app.state.services.store.migrate()
    with app.state.services.store.transaction() as session:
        key, _ = create_key(session, PROJECT, "schemathesis", utcnow())
    INGEST_KEY[:] = [key]
    yield schemathesis.openapi.from_asgi("/openapi.json", app)
    app.state.services.close()


def test_no_server_errors_and_responses_match_the_schema(
    api_schema: schemathesis.BaseSchema,
) -> None:
    # Driven by hand, not by schemathesis' pytest plugin: one test over every operation,
    # with one count of the examples run (printed for the record).
    ran: dict[str, int] = {}
    answered: dict[str, set[int]] = {}
    for result in api_schema.get_all_operations():
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        ran[label] = 0

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=not HUNT,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        @given(case=operation.as_strategy())
        def check(case: schemathesis.Case) -> None:
            label = f"{case.operation.method.upper()} {case.operation.path}"
            ran[label] += 1
            if case.path_parameters and "project_id" in case.path_parameters:
                case.path_parameters["project_id"] = PROJECT  # the key's own project
            response = case.call_and_validate(
                headers=_headers(case.operation.path),
                checks=[not_a_server_error, response_schema_conformance],
            )
            answered.setdefault(label, set()).add(response.status_code)

        check()
    for label, count in sorted(ran.items()):
        print(f"  {count:>3} {label}  answered {sorted(answered.get(label, ()))}")  # noqa: T201
    print(f"schemathesis: {sum(ran.values())} examples over {len(ran)} operations")  # noqa: T201
    server_errors = [label for label, codes in answered.items() if any(c >= 500 for c in codes)]
    assert server_errors == []  # `not_a_server_error` fails first; this says it to the reader
    assert len(ran) == OPERATIONS, sorted(ran)
    assert all(ran.values()), [label for label, n in ran.items() if not n]
    # Generated bodies get past the keys into the parsers and are stored.
    for label in ("POST /api/{project_id}/store/", "POST /v1/logs", "POST /v1/traces"):
        assert 200 in answered[label], (label, answered[label])
