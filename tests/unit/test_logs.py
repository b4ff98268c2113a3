"""LOG_FORMAT=json: one scrubbed JSON object per line with the ids that are known."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from autotriage import lifecycle
from autotriage.logs import JsonFormatter, ScrubFilter, log_context
from autotriage.store.tables import Group


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ScrubFilter())
    logger = logging.getLogger("autotriage.test_logs")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield buffer
    logger.removeHandler(handler)


def lines(buffer: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def test_each_record_is_one_json_line_with_known_ids(stream: io.StringIO) -> None:
    log = logging.getLogger("autotriage.test_logs")
    with log_context(request_id="req-1", source="sentry"):
        log.info("stored %s events", 3, extra={"event_id": 42})
        log.warning("group changed", extra={"group_id": 7})
    log.info("outside")
    first, second, third = lines(stream)
    assert first["message"] == "stored 3 events"
    assert (first["request_id"], first["source"], first["event_id"]) == ("req-1", "sentry", 42)
    assert second["group_id"] == 7 and second["level"] == "warning"
    assert "request_id" not in third and third["logger"] == "autotriage.test_logs"


def test_secrets_are_scrubbed_in_messages_and_tracebacks(stream: io.StringIO) -> None:
    log = logging.getLogger("autotriage.test_logs")
    secret = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    try:
        raise RuntimeError(f"token {secret} refused")
    except RuntimeError:
        log.exception("calling GitHub with %s failed", secret)
    (line,) = lines(stream)
    assert secret not in json.dumps(line)
    assert "RuntimeError" in str(line["exception"])


def test_status_changes_log_their_group_id() -> None:
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("autotriage.lifecycle")
    logger.addHandler(handler)
    level, logger.level = logger.level, logging.INFO
    try:
        group = Group(id=7, status="open", last_release="1.4.0")
        assert lifecycle.resolve(group, source="console", now=datetime.now(UTC))
        assert lifecycle.reopen(group, source="console", now=datetime.now(UTC))
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    resolved, reopened = lines(buffer)
    assert resolved["group_id"] == reopened["group_id"] == 7
    assert resolved["message"] == "group 7 resolved by console in release 1.4.0"
