"""What a Firehose delivery held past the bounds: tallied, logged once, counted.

The bounds stay (they stop one record from becoming 150,000 events); what they leave
unread must be visible to an operator: the ``autotriage_unread_total`` counter and one
warning line naming the delivery, never its text.
"""

from __future__ import annotations

import base64
import gzip
import json
import logging
from pathlib import Path

import pytest

from autotriage.metrics import Metrics
from autotriage.sources.aws import firehose
from autotriage.store import Store

RID = "5b3f1e2a-8c4d-4e6f-9a0b-1c2d3e4f5a6b"


def _delivery(*records: bytes, request_id: str = RID) -> bytes:
    data = [{"data": base64.b64encode(gzip.compress(r)).decode()} for r in records]
    return json.dumps({"requestId": request_id, "records": data}).encode()


def _batch(count: int, error_at: tuple[int, ...] = ()) -> bytes:
    events = [
        {"id": str(n), "timestamp": 1, "message": f"ERROR E{n}: x" if n in error_at else "ok"}
        for n in range(count)
    ]
    message = {
        "messageType": "DATA_MESSAGE",
        "logGroup": "g",
        "logStream": "s",
        "logEvents": events,
    }
    return json.dumps(message).encode()


def test_a_delivery_within_the_bounds_leaves_nothing_and_logs_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger=firehose.__name__):
        delivery = firehose.read_delivery(_delivery(b"ERROR Boom: once\n"), {})
    assert delivery.request_id == RID
    assert len(delivery.events) == 1
    assert not delivery.unread
    assert delivery.unread.counts() == {"lines": 0, "errors": 0, "records": 0}
    assert caplog.records == []


def test_plain_lines_past_a_record_s_cap_are_counted() -> None:
    filler = b"INFO all is well\n" * firehose.MAX_LOG_EVENTS
    body = _delivery(b"ERROR EarlyError: read\n" + filler + b"ERROR LateError: never read\n")
    delivery = firehose.read_delivery(body, {})
    # read: the early error and MAX_LOG_EVENTS - 1 filler lines; left: one filler, the late one
    assert delivery.unread.counts() == {"lines": 2, "errors": 0, "records": 0}
    assert [e.message for e in delivery.events] == [e.message for e in firehose.parse(body, {})]


def test_log_events_past_a_batch_s_cap_are_counted_even_when_no_error_was_read() -> None:
    delivery = firehose.read_delivery(_delivery(_batch(firehose.MAX_LOG_EVENTS + 7)), {})
    assert delivery.events == []  # nothing stored to carry the note: the tally still says so
    assert delivery.unread.lines == 7


def test_errors_and_records_past_a_delivery_s_cap_are_counted() -> None:
    errors = b"".join(b"ERROR payment %d failed\n" % n for n in range(firehose.MAX_EVENTS + 40))
    body = _delivery(errors, b"ERROR never read\n", b"ERROR nor this\n")
    delivery = firehose.read_delivery(body, {})
    assert len(delivery.events) == firehose.MAX_EVENTS
    assert delivery.unread.counts() == {"lines": 0, "errors": 40, "records": 2}
    assert delivery.events[-1].contexts["firehose"]["unread"] == delivery.unread.notes
    assert delivery.unread.notes == [
        f"records from [1] on: {firehose.MAX_EVENTS} errors were found",
        f"errors past the first {firehose.MAX_EVENTS}",
    ]


def test_one_warning_names_the_delivery_and_the_counts_without_its_text(
    caplog: pytest.LogCaptureFixture,
) -> None:
    errors = b"".join(b"ERROR payment %d failed\n" % n for n in range(firehose.MAX_EVENTS + 3))
    with caplog.at_level(logging.WARNING, logger=firehose.__name__):
        firehose.read_delivery(_delivery(errors, b"ERROR secret-ish text\n"), {})
    (record,) = caplog.records
    line = record.getMessage()
    assert record.levelno == logging.WARNING
    assert RID in line
    assert "3 errors" in line and "1 records" in line
    assert "payment" not in line and "secret-ish" not in line


def test_a_long_request_id_is_cut_in_the_warning(caplog: pytest.LogCaptureFixture) -> None:
    rid = "r" * 5000
    body = _delivery(_batch(firehose.MAX_LOG_EVENTS + 1), request_id=rid)
    with caplog.at_level(logging.WARNING, logger=firehose.__name__):
        firehose.read_delivery(body, {})
    (record,) = caplog.records
    assert "r" * firehose.SHOWN_ID in record.getMessage()
    assert "r" * (firehose.SHOWN_ID + 1) not in record.getMessage()


def test_the_unread_counter_starts_at_zero_and_adds_each_tally(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'metrics.db'}")
    try:
        metrics = Metrics(store)

        def sample(unit: str) -> float | None:
            labels = {"source": "firehose", "unit": unit}
            return metrics.registry.get_sample_value("autotriage_unread_total", labels)

        assert [sample(u) for u in ("lines", "errors", "records")] == [0.0, 0.0, 0.0]
        delivery = firehose.read_delivery(_delivery(_batch(firehose.MAX_LOG_EVENTS + 7)), {})
        metrics.left_unread("firehose", delivery.unread.counts())
        metrics.left_unread("firehose", {"lines": 0, "errors": 2, "records": 1})
        assert [sample(u) for u in ("lines", "errors", "records")] == [7.0, 2.0, 1.0]
    finally:
        store.dispose()


def test_a_request_id_holding_a_secret_is_shown_as_a_digest(
    caplog: pytest.LogCaptureFixture,
) -> None:
    token = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    # Cut to SHOWN_ID characters, the token would be half shown and no longer recognised.
    rid = "r" * (firehose.SHOWN_ID - 11) + "-" + token
    body = _delivery(_batch(firehose.MAX_LOG_EVENTS + 1), request_id=rid)
    with caplog.at_level(logging.WARNING, logger=firehose.__name__):
        firehose.read_delivery(body, {})
    (record,) = caplog.records
    line = record.getMessage()
    assert "ghp_" not in line and "A1b2C3" not in line
    assert "sha256:" in line
