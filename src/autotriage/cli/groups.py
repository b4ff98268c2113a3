"""``autotriage groups list|show``: what autotriage has grouped, and what it did."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from autotriage.cli.common import fail, open_services
from autotriage.reports import group_detail, group_summary
from autotriage.store.groups import list_groups
from autotriage.store.tables import Group

app = typer.Typer(help="List and show groups.", no_args_is_help=True)


@app.command("list")
def list_command(
    status: Annotated[str | None, typer.Option(help="open, resolved or ignored.")] = None,
    source: Annotated[str | None, typer.Option(help="Only groups seen from this source.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10000)] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
) -> None:
    """Groups, most recently seen first."""
    if status not in (None, "open", "resolved", "ignored"):
        raise fail("--status: choose open, resolved or ignored", 2)
    services = open_services()
    store = services.store
    with store.reading() as session:
        rows, total = list_groups(session, status=status, source=source, limit=limit)
        data = [group_summary(session, g) for g in rows]
    services.close()
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    table = Table(title=f"{len(data)} of {total} groups")
    for column in ("id", "status", "level", "count", "last seen", "sources", "title", "tracker"):
        table.add_column(column)
    for g in data:
        tracker = ", ".join(f"{link['tracker']}#{link['id']}" for link in g["links"]) or "—"
        table.add_row(
            str(g["id"]),
            g["status"],
            g["level"],
            str(g["count"]),
            g["last_seen"][:19],
            ",".join(g["sources"]),
            g["title"][:70],
            tracker,
        )
    Console().print(table)


def _print_detail(detail: dict[str, Any]) -> None:
    console = Console()
    console.print(f"[bold]Group {detail['id']}[/bold] {escape(detail['title'])}")
    console.print(
        f"status {detail['status']} · level {detail['level']} · "
        f"{detail['count']} occurrences · first {detail['first_seen'][:19]} · "
        f"last {detail['last_seen'][:19]}"
    )
    console.print(f"fingerprint {detail['fingerprint']}")
    item = detail["tracker_item"]
    if item:
        console.rule(f"local tracker item #{item['id']} ({item['state']})")
        console.print(f"[bold]{escape(item['title'])}[/bold]")
        console.print(item["body"], markup=False, highlight=False)
        for comment in item["comments"]:
            console.print(f"[dim]comment {comment['at'][:19]}:[/dim] {escape(comment['body'])}")
    console.rule("actions")
    for action in detail["actions"]:
        reason = f" — {escape(action['detail'])}" if action["detail"] else ""
        console.print(
            f"{action['kind']:<18} {action['status']:<10} attempts {action['attempts']}{reason}"
        )


@app.command("show")
def show_command(
    group_id: Annotated[int, typer.Argument(help="The group's id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """One group: latest event, analysis, tracker item and actions with their outcomes."""
    services = open_services()
    store = services.store
    with store.reading() as session:
        group = session.get(Group, group_id)
        detail = group_detail(session, group) if group is not None else None
    services.close()
    if detail is None:
        raise fail(f"no group {group_id}")
    if as_json:
        typer.echo(json.dumps(detail, indent=2))
    else:
        _print_detail(detail)
