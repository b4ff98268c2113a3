"""``autotriage scan``: a one-time scan of CloudWatch Logs (the original design's ``bun start``).

Reads every configured log group from its cursor (or ``--since`` ago the first time),
stores the errors, groups them and runs the actions, then prints a summary table.
``--dry-run`` reads and reports but stores, moves and acts on nothing.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

import typer
from botocore.exceptions import BotoCoreError, ClientError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import func, select

from autotriage.cli.common import fail, open_services, settings
from autotriage.cli.scan_sentry import scan_sentry_once
from autotriage.errors import ScanBusy
from autotriage.scans.runner import Scanner, ScanSummary
from autotriage.sources.aws import logs_api
from autotriage.store import Store
from autotriage.store.scans import begin_scan, finish_scan
from autotriage.store.tables import Action, Group

_SINCE = re.compile(r"^(\d+)\s*([smhd])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_since(value: str) -> timedelta:
    """``90s``, ``60m``, ``2h``, ``7d`` as a timedelta; ValueError otherwise."""
    match = _SINCE.match(value.strip().lower())
    if not match or int(match[1]) == 0:
        raise ValueError("use a number and a unit, e.g. 30m, 2h or 1d")
    seconds = int(match[1]) * _UNITS[match[2]]
    if seconds > 30 * 86400:
        raise ValueError("at most 30d")
    return timedelta(seconds=seconds)


def _counts(store: Store) -> tuple[int, int]:
    with store.reading() as session:
        groups = session.scalar(select(func.count()).select_from(Group)) or 0
        actions = session.scalar(select(func.count()).select_from(Action)) or 0
    return int(groups), int(actions)


def _print_summary(console: Console, summary: ScanSummary) -> None:
    title = "CloudWatch scan" + (
        " (dry run: nothing stored or acted on)" if summary.dry_run else ""
    )
    table = Table(title=title)
    for column in ("log group", "events read", "errors found", "stored", "duplicates", "status"):
        table.add_column(column, justify="left" if column in ("log group", "status") else "right")
    for g in summary.groups:
        status = f"[red]{g.error}[/red]" if g.error else "ok"
        table.add_row(
            g.name,
            str(g.events_read),
            str(g.errors_found),
            str(g.stored),
            str(g.duplicates),
            status,
        )
    data = summary.as_dict()
    table.add_section()
    table.add_row(
        f"{len(summary.groups)} log groups",
        str(data["events_read"]),
        str(data["errors_found"]),
        str(data["stored"]),
        str(data["duplicates"]),
        "",
    )
    console.print(table)
    held = summary.as_dict()["held"]
    if held > 0:
        console.print(
            f"held for their tail: {held} cut-off trace(s), acted on when the tail comes "
            "(the next scan) or after CLOUDWATCH_TAIL_GRACE_SECONDS"
        )
    label = "would be new" if summary.dry_run else "new"
    console.print(
        f"groups {label}: {summary.new_groups}  ·  actions: {summary.actions}  ·  "
        f"AWS requests: {summary.requests} ({summary.throttled} throttled)"
    )


def scan(
    since: Annotated[str, typer.Option(help="How far back to read, e.g. 60m, 2h, 1d.")] = "60m",
    dry_run: Annotated[bool, typer.Option(help="Read and report; act on nothing.")] = False,
    source: Annotated[str, typer.Option(help="cloudwatch (default) or sentry.")] = "cloudwatch",
) -> None:
    """Scan CloudWatch Logs once: read, store, group and act; print a summary."""
    current = settings().aws
    if source == "sentry":
        scan_sentry_once()
        return
    if source != "cloudwatch":
        raise fail(f"--source {source!r}: use cloudwatch or sentry", 2)
    try:
        window = parse_since(since)
    except ValueError as exc:
        raise fail(f"--since {since!r}: {exc}", 2) from None
    if not current.aws_log_group_name:
        typer.echo("No pull source is configured: nothing to scan (set AWS_LOG_GROUP_NAME).")
        return
    if not current.aws_region:
        raise fail("AWS_REGION is required to scan CloudWatch Logs", 2)
    services = open_services()
    store = services.store
    try:
        scan_id = begin_scan(store, "cli", dry_run=dry_run)
    except ScanBusy as busy:
        raise fail(f"scan {busy.scan_id} is already running; try again when it ends") from None
    console = Console()
    before = _counts(store)
    progress = Progress(
        TextColumn("[bold]scanning[/bold] {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[events]} events · {task.fields[errors]} errors"),
        TimeElapsedColumn(),
        console=console,
        disable=not console.is_terminal,
        transient=True,
    )
    task = progress.add_task("log groups", total=None, events=0, errors=0)

    def on_progress(summary: ScanSummary) -> None:
        data = summary.as_dict()
        current_group = summary.groups[-1].name if summary.groups else "log groups"
        progress.update(
            task,
            total=data["log_groups_total"] or None,
            completed=data["log_groups_done"],
            description=current_group,
            events=data["events_read"],
            errors=data["errors_found"],
        )

    summary = ScanSummary(scan_id, dry_run)
    try:
        with progress:
            client = logs_api.make_client(current)
            summary = Scanner(store, current, client, on_progress=on_progress).run(
                since=window, dry_run=dry_run, scan_id=scan_id
            )
    except (ClientError, BotoCoreError) as exc:
        finish_scan(store, scan_id, summary.as_dict(), f"{type(exc).__name__}: {exc}")
        raise fail(f"CloudWatch Logs: {exc}") from None
    if not dry_run:
        services.worker.drain(timeout=600)
        after = _counts(store)
        summary.new_groups, summary.actions = after[0] - before[0], after[1] - before[1]
    failed = [g.name for g in summary.groups if g.error]
    finish_scan(
        store,
        scan_id,
        summary.as_dict(),
        f"failed log groups: {', '.join(failed)}" if failed else None,
    )
    services.close()
    _print_summary(console, summary)
    if failed:
        raise typer.Exit(1)
