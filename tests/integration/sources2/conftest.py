"""A moto server on a free loopback port, and helpers to write log events into it."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from tests.support import free_port

AWS_ENV = {
    "AWS_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
}


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """A ThreadedMotoServer on 127.0.0.1 for the whole session."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def logs_client(moto_url: str) -> Any:
    """A real boto3 CloudWatch Logs client talking HTTP to the moto server."""
    return boto3.client(
        "logs",
        region_name=AWS_ENV["AWS_REGION"],
        endpoint_url=moto_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture
def log_group(logs_client: Any) -> Callable[..., str]:
    """Create a uniquely named log group; returns its name."""

    def create(prefix: str = "/ecs/orders-api") -> str:
        name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        logs_client.create_log_group(logGroupName=name)
        return name

    return create


def now_ms() -> int:
    """The current time in epoch milliseconds."""
    return int(time.time() * 1000)


def _put_lines(
    client: Any, group: str, stream: str, lines: list[str], at_ms: int, step_ms: int = 0
) -> None:
    """Write `lines` to `stream` (created if needed), one event per line."""
    with contextlib.suppress(client.exceptions.ResourceAlreadyExistsException):
        client.create_log_stream(logGroupName=group, logStreamName=stream)
    events = [{"timestamp": at_ms + i * step_ms, "message": line} for i, line in enumerate(lines)]
    client.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)


TRACEBACK = [
    "2026-05-28 20:26:38,114 ERROR orders.views Unhandled exception on POST /orders",
    "Traceback (most recent call last):",
    '  File "/srv/app/orders/views.py", line 88, in create_order',
    "    total = compute_total(cart)",
    '  File "/srv/app/orders/pricing.py", line 41, in compute_total',
    "    return subtotal / item_count",
    "ZeroDivisionError: division by zero",
]


class CW:
    """What the CloudWatch tests share, as one fixture (conftest cannot be imported)."""

    env = AWS_ENV
    traceback = TRACEBACK
    now_ms = staticmethod(now_ms)
    put_lines = staticmethod(_put_lines)


@pytest.fixture
def cw() -> type[CW]:
    """Helpers: ``cw.put_lines``, ``cw.now_ms``, ``cw.env``, ``cw.traceback``."""
    return CW
