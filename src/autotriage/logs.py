"""Logging set-up: one line per record, and every message scrubbed of secrets.

``LOG_FORMAT=text`` (the default) writes ``time level logger: message``;
``LOG_FORMAT=json`` writes one JSON object per line with the request id, source, event
id and group id where known. Those come from the record (``extra={"group_id": ...}``)
or from `log_context`, which the web edge's `RequestContext` opens for every request.
Both formats pass through the same `ScrubFilter`; JSON also scrubs exception text.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from autotriage.understanding.scrub import DEFAULT_POLICY, ScrubPolicy, scrub_text

FIELDS = ("request_id", "source", "event_id", "group_id")
_context: ContextVar[dict[str, Any] | None] = ContextVar("autotriage_log_context", default=None)


@contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Add `fields` (request_id, source, event_id, group_id) to every record logged inside."""
    token = _context.set({**(_context.get() or {}), **fields})
    try:
        yield
    finally:
        _context.reset(token)


class ScrubFilter(logging.Filter):
    """Redact secrets from a record's final message before any handler sees it."""

    def __init__(self, policy: ScrubPolicy = DEFAULT_POLICY) -> None:
        super().__init__()
        self.policy = policy

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = scrub_text(message, self.policy)
        if clean != message:
            record.msg, record.args = clean, None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message and the known ids."""

    def __init__(self, policy: ScrubPolicy = DEFAULT_POLICY) -> None:
        super().__init__()
        self.policy = policy

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        known = _context.get() or {}
        for name in FIELDS:
            value = getattr(record, name, None)
            value = known.get(name) if value is None else value
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["exception"] = scrub_text(self.formatException(record.exc_info), self.policy)
        return json.dumps(line, default=str, ensure_ascii=False)


def configure_logging(
    level: str = "info", policy: ScrubPolicy = DEFAULT_POLICY, *, fmt: str = "text"
) -> None:
    """Log to stderr at `level` in `fmt` (text or json), scrubbed by `policy`; uvicorn's
    loggers included."""
    handler = logging.StreamHandler()
    if fmt == "json":
        handler.setFormatter(JsonFormatter(policy))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(ScrubFilter(policy))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # procrastinate logs every job's start and end at INFO: one line per action is noise
    if root.level > logging.DEBUG:
        logging.getLogger("procrastinate").setLevel(logging.WARNING)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True


class RequestContext:
    """ASGI middleware: each request's records carry its id (``X-Request-Id`` or a new one)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        request_id = given[:64] if given.isprintable() and given else uuid.uuid4().hex
        with log_context(request_id=request_id):
            await self.app(scope, receive, send)
