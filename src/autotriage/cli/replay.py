"""``autotriage replay``: run payload files through exactly the server's code path.

Without ``--act``: parse -> scrub -> fingerprint, printing each event. With ``--act``:
the whole pipeline, inline: the events are stored, grouped and acted on, and the
command returns once every action is done or recorded as pending with its reason.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy import select

from autotriage.cli.common import check_source, open_services, read_events, settings
from autotriage.models import ErrorEvent
from autotriage.sources.aws.tails import release_now
from autotriage.sources.registry import REGISTRY
from autotriage.store.tables import Action, Event
from autotriage.understanding.fingerprint import compute_fingerprint, grouping_config


def _read(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    return Path(path).read_bytes()


def _print_event(event: ErrorEvent, as_json: bool) -> None:
    fingerprint = compute_fingerprint(event, grouping_config(settings().analysis)).primary
    if as_json:
        typer.echo(json.dumps(event.as_replay_dict(fingerprint), ensure_ascii=False))
        return
    typer.echo(f"{fingerprint[:12]}  {event.level:<7} [{event.source}] {event.title}")
    exc = event.primary_exception
    frame = exc.crashing_frame if exc else None
    if frame is not None:
        where = frame.path or frame.module or "?"
        typer.echo(f"              at {where}:{frame.lineno} in {frame.function}")


def _act(events: list[tuple[str, ErrorEvent]], as_json: bool) -> None:
    built = open_services()
    store = built.store
    stored: list[int] = []
    for source, event in events:
        stored += built.intake.accept(source, [event]).event_ids
    release_now(store, stored)  # a CloudWatch trace cut off at the file's end: as it is
    built.worker.drain()
    with store.reading() as session:
        rows = session.scalars(select(Event).where(Event.id.in_(stored))).all()
        group_ids = sorted({r.group_id for r in rows if r.group_id is not None})
        actions = session.scalars(
            select(Action).where(Action.group_id.in_(group_ids)).order_by(Action.id)
        ).all()
        report: list[dict[str, Any]] = [
            {
                "action": a.kind,
                "group_id": a.group_id,
                "status": a.status,
                "external_id": a.external_id,
                "detail": a.detail,
            }
            for a in actions
        ]
    built.close()
    for line in report:
        if as_json:
            typer.echo(json.dumps(line), err=True)  # stdout stays one object per event
        else:
            reason = f" ({line['detail']})" if line["detail"] else ""
            typer.echo(f"group {line['group_id']}: {line['action']} {line['status']}{reason}")


def replay(
    files: Annotated[list[str], typer.Argument(help="Payload files, or - for stdin.")],
    source: Annotated[str, typer.Option(help=f"auto, or one of: {', '.join(REGISTRY)}.")] = "auto",
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per event.")] = False,
    act: Annotated[bool, typer.Option(help="Group and act too, as the server would.")] = False,
) -> None:
    """Run payloads or raw error texts through the pipeline and print the events."""
    check_source(source)
    parsed, failed = read_events(files, source)
    for _, event in parsed:
        _print_event(event, as_json)
    if act and parsed:
        _act(parsed, as_json)
    if failed:
        raise typer.Exit(1)
