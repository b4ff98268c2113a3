"""Schemathesis against the app's own /openapi.json: no 5xx, every response as described.

The examples are bounded (`EXAMPLES` per operation) so this runs in CI in bounded time;
the generated requests carry the API token, so they reach the handlers behind it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from autotriage.config import load_settings
from autotriage.web.app import create_app

EXAMPLES = 40
TOKEN = "schemathesis-api-token"


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
    yield schemathesis.openapi.from_asgi("/openapi.json", app)
    app.state.services.close()


def test_no_server_errors_and_responses_match_the_schema(
    api_schema: schemathesis.BaseSchema,
) -> None:
    # Driven by hand, not by schemathesis' pytest plugin: one test over every operation,
    # with one count of the examples run (printed for the record).
    ran: dict[str, int] = {}
    for result in api_schema.get_all_operations():
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        ran[label] = 0

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        @given(case=operation.as_strategy())
        def check(case: schemathesis.Case) -> None:
            ran[f"{case.operation.method.upper()} {case.operation.path}"] += 1
            case.call_and_validate(
                headers={"authorization": f"Bearer {TOKEN}"},
                checks=[not_a_server_error, response_schema_conformance],
            )

        check()
    print(f"schemathesis: {sum(ran.values())} examples over {len(ran)} operations")  # noqa: T201
    assert len(ran) >= 10
