"""What the commands share: settings loaded once, a clean exit on bad configuration."""

from __future__ import annotations

import sys
from functools import cache

import typer

from autotriage.config import Settings, load_settings
from autotriage.errors import ConfigError
from autotriage.logs import configure_logging
from autotriage.store import Store


@cache
def settings() -> Settings:
    """Load settings, or print one line naming the bad variable and exit with code 2."""
    try:
        loaded = load_settings()
    except ConfigError as exc:
        print(f"autotriage: configuration error: {exc}", file=sys.stderr)
        raise typer.Exit(2) from None
    configure_logging(loaded.log_level)
    return loaded


def open_store(current: Settings) -> Store:
    """The configured store, migrated to the newest schema."""
    store = Store(current.database_url)
    store.migrate()
    return store


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print `message` to stderr and return the exit to raise."""
    print(f"autotriage: {message}", file=sys.stderr)
    return typer.Exit(code)
