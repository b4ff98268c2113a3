"""What the commands share: settings loaded once, a clean exit on bad configuration."""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

import typer

from autotriage.config import Settings, load_settings
from autotriage.errors import ConfigError, Ignored, IntakeError
from autotriage.logs import configure_logging
from autotriage.models import ErrorEvent
from autotriage.services import Services, build_services
from autotriage.sources.registry import REGISTRY, detect
from autotriage.understanding.scrub import ScrubPolicy, scrub_event


@cache
def settings() -> Settings:
    """Load settings, or print one line naming the bad variable and exit with code 2."""
    try:
        loaded = load_settings()
    except ConfigError as exc:
        print(f"autotriage: configuration error: {exc}", file=sys.stderr)
        raise typer.Exit(2) from None
    configure_logging(
        loaded.log_level, ScrubPolicy.from_settings(loaded.scrub), fmt=loaded.log_format
    )
    return loaded


def open_services() -> Services:
    """The services (`build_services`) for the loaded settings, the store migrated.

    Every command starts here, so the worker, renderers and clients follow the same
    settings as the server; close them with ``.close()``.
    """
    built = build_services(settings())
    built.store.migrate()
    return built


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print `message` to stderr and return the exit to raise."""
    print(f"autotriage: {message}", file=sys.stderr)
    return typer.Exit(code)


def check_source(source: str) -> None:
    """Refuse (exit 2) a ``--source`` that is neither ``auto`` nor a registered source."""
    if source != "auto" and source not in REGISTRY:
        raise fail(f"--source: unknown source {source!r}; choose auto or {', '.join(REGISTRY)}", 2)


def read_events(files: list[str], source: str) -> tuple[list[tuple[str, ErrorEvent]], bool]:
    """Parse and scrub each file (``-`` is stdin) as the server would.

    Returns the events with their source names, and whether any file failed; each failure
    is printed on stderr as ``FILE: reason``.
    """
    events: list[tuple[str, ErrorEvent]] = []
    failed = False
    for path in files:
        try:
            body = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
        except OSError as exc:
            print(f"{path}: cannot read: {exc.strerror}", file=sys.stderr)
            failed = True
            continue
        spec = detect(body) if source == "auto" else REGISTRY[source]
        try:
            parsed = spec.parse(body, {})
        except (IntakeError, Ignored) as exc:
            print(f"{path}: {exc.reason}", file=sys.stderr)
            failed = True
            continue
        events += [(spec.name, scrub_event(event)) for event in parsed]
    return events, failed
