"""``autotriage fix``: what autotriage would do about each error, tried on a local checkout.

Runs the fixers and every gate (tests before and after in sandboxed worktrees) and prints
the outcome per event: ``pr`` (every gate held), ``suggest`` (a patch, but a gate failed)
or ``none``. It never pushes, comments or opens anything. ``--json`` prints one object per
event: outcome, fixer, patch, files, evidence and reasons.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from autotriage.actions.fixes.local import fix_locally
from autotriage.actions.fixes.model import FixAttempt
from autotriage.cli.common import check_source, fail, read_events, settings
from autotriage.sources.registry import REGISTRY


def _print_text(title: str, attempt: FixAttempt) -> None:
    typer.echo(f"{attempt.outcome:8} {title}")
    if attempt.patch is not None:
        typer.echo(f"  fixer: {attempt.patch.fixer} ({', '.join(attempt.files)})")
        for line in attempt.patch.diff.splitlines():
            typer.echo(f"    {line}")
    evidence = attempt.evidence
    if evidence is not None:
        before, after = evidence.as_json()["before"], evidence.as_json()["after"]
        typer.echo(f"  tests: {evidence.command}")
        typer.echo(f"    before {before}  after {after}  verdict {evidence.verdict}")
        if evidence.flipped:
            typer.echo(f"    flipped: {', '.join(evidence.flipped)}")
        typer.echo(f"    isolation: {evidence.isolation}")
    for gate in attempt.gates:
        typer.echo(f"  [{'ok' if gate.ok else 'no'}] {gate.gate}: {gate.reason}")
    for reason in attempt.reasons:
        typer.echo(f"  - {reason}")


def fix(
    files: Annotated[list[str], typer.Argument(help="Payload files or raw traces, - for stdin.")],
    repo: Annotated[Path, typer.Option("--repo", help="Path of a local git checkout.")],
    ref: Annotated[
        str | None, typer.Option(help="Commit, branch or tag to fix at (default: the release).")
    ] = None,
    test_command: Annotated[
        str | None,
        typer.Option(
            "--test-command", help="Test command ({junit} = report path); default FIX_TEST_COMMAND."
        ),
    ] = None,
    source: Annotated[str, typer.Option(help=f"auto, or one of: {', '.join(REGISTRY)}.")] = "auto",
    as_json_flag: Annotated[
        bool, typer.Option("--json", help="One JSON object per event.")
    ] = False,
) -> None:
    """Say whether each error would get a fix PR, a suggested diff or nothing, and why."""
    check_source(source)
    if not (repo.expanduser() / ".git").exists():
        raise fail(f"--repo: {repo} is not a git checkout", 2)
    current = settings()
    events, failed = read_events(files, source)
    for _, event in events:
        attempt = fix_locally(
            event,
            current.analysis,
            current.fix,
            repo.expanduser().resolve(),
            ref=ref,
            test_command=test_command,
        )
        if as_json_flag:
            typer.echo(json.dumps(attempt.as_json(), ensure_ascii=False))
        else:
            _print_text(event.title, attempt)
    if failed:
        raise typer.Exit(1)
