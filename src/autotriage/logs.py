"""Logging set-up: one line per record, and every message scrubbed of secrets."""

from __future__ import annotations

import logging

from autotriage.understanding.scrub import DEFAULT_POLICY, ScrubPolicy, scrub_text


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


def configure_logging(level: str = "info", policy: ScrubPolicy = DEFAULT_POLICY) -> None:
    """Log to stderr at `level`, scrubbed by `policy`; uvicorn's loggers included."""
    handler = logging.StreamHandler()
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
