"""``autotriage scan``: a one-time scan of the pull sources."""

from __future__ import annotations

from typing import Annotated

import typer

from autotriage.cli.common import settings


def scan(
    since: Annotated[str, typer.Option(help="How far back to read, e.g. 60m, 2h, 1d.")] = "60m",
    dry_run: Annotated[bool, typer.Option(help="Read and report; act on nothing.")] = False,
) -> None:
    """Scan the pull sources (CloudWatch Logs, Sentry) once."""
    del since, dry_run
    settings()
    typer.echo("No pull source is configured: nothing to scan.")
