"""GET /metrics: scraped in-process, every metric moves when its event happens."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from autotriage.actions.outbox import run_due
from autotriage.config import Settings
from autotriage.store.scans import begin_scan, finish_scan
from autotriage.web.app import create_app
from tests.console_data import seed

METRICS_TOKEN = "metrics-tok"


def scrape(
    client: TestClient, token: str = METRICS_TOKEN
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics", headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    found = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def signed(body: bytes, secret: str) -> dict[str, str]:
    stamp = str(int(time.time()))
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return {
        "x-autotriage-timestamp": stamp,
        "x-autotriage-signature": f"sha256={digest}",
        "content-type": "application/json",
    }


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_need_their_token(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(
        AUTOTRIAGE_WORKER="false", METRICS_TOKEN="metrics-tok", AUTOTRIAGE_API_TOKEN="api-tok"
    )
    with TestClient(create_app(settings)) as client:
        assert client.get("/metrics").status_code == 401
        assert (
            client.get("/metrics", headers={"authorization": "Bearer api-tok"}).status_code == 401
        )
        samples = scrape(client)
        info = [labels for (name, labels), v in samples.items() if name == "autotriage_build_info"]
        assert len(info) == 1 and dict(info[0])["version"]


def test_every_metric_moves_when_its_event_happens(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(
        AUTOTRIAGE_WORKER="false",
        METRICS_TOKEN="metrics-tok",
        WEBHOOK_SECRET="hook",
    )
    app = create_app(settings)
    with TestClient(app) as client:
        before = scrape(client)
        assert value(before, "autotriage_groups", status="open") == 0
        services = app.state.services

        # accepted and duplicate: a signed generic document, then the same request again
        body = json.dumps({"message": "KeyError: 'sku'", "event_id": "e-1"}).encode()
        headers = signed(body, "hook")
        assert client.post("/webhook/generic", content=body, headers=headers).status_code == 200
        assert client.post("/webhook/generic", content=body, headers=headers).status_code == 200
        # rejected: a bad signature on the same route
        assert (
            client.post("/webhook/generic", content=body, headers=signed(body, "x")).status_code
            == 401
        )
        # rate limited: the DSN endpoints' guard refuses while the server is saturated
        services.guard.inflight = services.guard.max_inflight
        assert client.post("/api/1/envelope/", content=b"{}").status_code == 429
        services.guard.inflight = 0
        seeded = seed(services)  # the pipeline makes groups and plans actions
        after = scrape(client)
        assert (
            value(after, "autotriage_events_received_total", source="generic", outcome="accepted")
            >= 1
        )
        assert (
            value(after, "autotriage_events_received_total", source="generic", outcome="duplicate")
            >= 1
        )
        assert (
            value(after, "autotriage_events_received_total", source="generic", outcome="rejected")
            == 1
        )
        assert (
            value(
                after, "autotriage_ingest_request_duration_seconds_count", route="/webhook/generic"
            )
            == 3
        )
        assert value(after, "autotriage_groups", status="open") >= len(seeded)
        assert value(after, "autotriage_outbox_depth", kind="analysis") >= 1
        assert value(after, "autotriage_seconds_since_last_delivery", source="generic") >= 0
        assert ("autotriage_seconds_since_last_delivery", (("source", "generic"),)) in after

        assert (
            value(
                after, "autotriage_events_received_total", source="sentry", outcome="rate_limited"
            )
            == 1
        )

        # actions: run the outbox once through the worker's (counted) handlers
        ran = run_due(services.store, services.worker.handlers, limit=100)
        assert ran > 0
        acted = scrape(client)
        assert value(acted, "autotriage_actions_total", kind="analysis", outcome="ok") >= 1
        assert value(acted, "autotriage_outbox_depth", kind="analysis") == 0

        # scans: a finished scan counts, and its age is reported
        scan_id = begin_scan(services.store, "test")
        finish_scan(services.store, scan_id, {"events": 0}, None)
        scanned = scrape(client)
        assert sum(v for (n, _), v in scanned.items() if n == "autotriage_scan_runs_total") == 1
        assert value(scanned, "autotriage_seconds_since_last_scan", source="cloudwatch") >= 0
        assert ("autotriage_seconds_since_last_scan", (("source", "cloudwatch"),)) in scanned

        # the GitHub budget: any handler's client that saw x-ratelimit-remaining
        class Client:
            rate_limit_remaining = 4321

        class Ops:
            client = Client()

        class Handler:
            kind = "github.fake"
            ops = Ops()

        services.metrics.observe_handlers({"github.fake": Handler()})  # type: ignore[dict-item]
        assert value(scrape(client), "autotriage_github_rate_limit_remaining") == 4321


def test_each_app_has_its_own_registry(make_settings: Callable[..., Settings]) -> None:
    first = create_app(make_settings(AUTOTRIAGE_WORKER="false"))
    second = create_app(make_settings(AUTOTRIAGE_WORKER="false"))
    assert first.state.services.metrics.registry is not second.state.services.metrics.registry
