"""The OpenTelemetry Python SDK's OTLP/HTTP exporter posts logs and traces to a running
server: exceptions from ``logger.exception`` and ``span.record_exception`` are stored."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from sqlalchemy import select

from autotriage.models import utcnow
from autotriage.store import Store
from autotriage.store.ingest_keys import create_key
from autotriage.store.tables import Event
from tests.support import LiveServer

APP = textwrap.dedent(
    """
    import logging

    from opentelemetry import trace
    from opentelemetry._logs import set_logger_provider
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create({
        "service.name": "billing",
        "service.version": "2.4.0",
        "deployment.environment.name": "production",
    })
    logs = LoggerProvider(resource=resource)
    logs.add_log_record_processor(BatchLogRecordProcessor(OTLPLogExporter()))
    set_logger_provider(logs)
    log = logging.getLogger("billing.invoices")
    log.addHandler(LoggingHandler(logger_provider=logs))
    log.propagate = False

    traces = TracerProvider(resource=resource)
    traces.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    tracer = traces.get_tracer("billing")

    def invoice_total(lines):
        return sum(lines) / len(lines)

    def charge(card):
        return card["number"]

    with tracer.start_as_current_span("invoice") as span:
        try:
            invoice_total([])
        except ZeroDivisionError:
            log.exception("could not total the invoice")
    with tracer.start_as_current_span("charge") as span:
        try:
            charge({})
        except KeyError as exc:
            span.record_exception(exc)
    log.info("an ordinary line that is not an error")
    logs.shutdown()
    traces.shutdown()
    """
)


def test_otel_sdk_logs_and_traces(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'autotriage.db'}"
    store = Store(url)
    store.migrate()
    with store.transaction() as session:
        key, _ = create_key(session, 1, "otel", utcnow())
    script = tmp_path / "billing_app.py"
    script.write_text(APP)
    with LiveServer({"DATABASE_URL": url, "AUTOTRIAGE_WORKER": "false"}, cwd=tmp_path) as server:
        env = {
            **os.environ,
            "OTEL_EXPORTER_OTLP_ENDPOINT": server.url,
            "OTEL_EXPORTER_OTLP_HEADERS": f"Authorization=Bearer%20{key}",
            "OTEL_EXPORTER_OTLP_COMPRESSION": "gzip",
        }
        done = subprocess.run(
            [sys.executable, str(script)],
            env=env,
            cwd=tmp_path,
            timeout=60,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert "Failed to export" not in done.stderr, done.stderr
        with store.reading() as session:
            rows = [row.payload for row in session.scalars(select(Event).order_by(Event.id))]
    by_type = {row["exceptions"][-1]["type"]: row for row in rows}
    assert set(by_type) == {"ZeroDivisionError", "KeyError"}
    logged = by_type["ZeroDivisionError"]
    assert logged["source"] == "otlp"
    assert logged["message"] == "could not total the invoice"
    assert (logged["service"], logged["release"]) == ("billing", "2.4.0")
    assert logged["environment"] == "production"
    assert len(logged["contexts"]["trace"]["trace_id"]) == 32
    frames = logged["exceptions"][-1]["frames"]
    assert frames[-1]["function"] == "invoice_total"
    assert frames[-1]["filename"].endswith("billing_app.py")
    recorded = by_type["KeyError"]
    assert recorded["culprit"] == "charge"
    assert recorded["exceptions"][-1]["frames"][-1]["function"] == "charge"
    store.dispose()
