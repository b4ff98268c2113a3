"""``autotriage analyze``: analyse payload files or raw traces against a repository.

Prints, per event, the culprit (repository path, line, function, permalink and code), the
suspect commit, the owners, the confidence and its reasons. ``--json`` prints one object
per event in the stable shape documented in the README and issue 6.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from autotriage.analysis import Analysis, Analyzer
from autotriage.analysis.access import is_url
from autotriage.cli.common import check_source, fail, read_events, settings
from autotriage.models import ErrorEvent
from autotriage.sources.registry import REGISTRY

_FRAME_KEYS = ("filename", "lineno", "function", "in_app", "repo_path")


def as_json(analysis: Analysis) -> dict[str, Any]:
    """The ``--json`` shape: exactly the keys issue 6 names, nothing more."""
    culprit = analysis.culprit
    suspect = analysis.suspect_commit
    return {
        "fingerprint": analysis.fingerprint,
        "culprit": None
        if culprit is None
        else {
            "path": culprit.path,
            "line": culprit.line,
            "function": culprit.function,
            "permalink": culprit.permalink,
            "code": culprit.code,
        },
        "frames": [{k: frame.get(k) for k in _FRAME_KEYS} for frame in analysis.frames],
        "suspect_commit": None
        if suspect is None
        else {
            "sha": suspect.sha,
            "author_name": suspect.author_name,
            "author_email": suspect.author_email,
            "date": suspect.date,
            "summary": suspect.summary,
        },
        "owners": analysis.owners,
        "confidence": analysis.confidence,
        "reasons": analysis.reasons,
    }


def _print_text(event: ErrorEvent, analysis: Analysis) -> None:
    typer.echo(f"{(analysis.fingerprint or '?')[:12]}  [{event.source}] {event.title}")
    culprit = analysis.culprit
    if culprit is None:
        typer.echo("  culprit: unknown")
    else:
        where = f"{culprit.path}:{culprit.line}" if culprit.line else culprit.path
        typer.echo(f"  culprit: {where} in {culprit.function or '?'}")
        if culprit.permalink:
            typer.echo(f"  link:    {culprit.permalink}")
        for line in culprit.code:
            typer.echo(f"    {line}")
    suspect = analysis.suspect_commit
    if suspect is not None:
        who = f"{suspect.author_name} <{suspect.author_email}>"
        if suspect.login:
            who = f"@{suspect.login}"
        typer.echo(f"  suspect: {suspect.sha[:12]} {suspect.summary} ({who}, {suspect.date})")
    typer.echo(f"  owners:  {', '.join(analysis.owners) or '—'}")
    typer.echo(f"  confidence {analysis.confidence:.2f}")
    for reason in analysis.reasons:
        typer.echo(f"    - {reason}")


def analyze(
    files: Annotated[list[str], typer.Argument(help="Payload files or raw traces, - for stdin.")],
    repo: Annotated[
        str | None,
        typer.Option("--repo", help="Repository path or clone URL (default: REPO_PATH/GitHub)."),
    ] = None,
    ref: Annotated[
        str | None, typer.Option(help="Commit, branch or tag to read (default: the release).")
    ] = None,
    source: Annotated[str, typer.Option(help=f"auto, or one of: {', '.join(REGISTRY)}.")] = "auto",
    as_json_flag: Annotated[
        bool, typer.Option("--json", help="One JSON object per event.")
    ] = False,
) -> None:
    """Find the file, line, suspect commit and owners behind each error."""
    check_source(source)
    if repo is not None and not is_url(repo) and not Path(repo).expanduser().exists():
        raise fail(f"--repo: {repo} does not exist", 2)
    analyzer = Analyzer(settings().analysis)  # one analyzer: its caches serve every file
    events, failed = read_events(files, source)
    for _, clean in events:
        analysis = analyzer.analyze(clean, location=repo, ref=ref)
        if as_json_flag:
            typer.echo(json.dumps(as_json(analysis), ensure_ascii=False))
        else:
            _print_text(clean, analysis)
    if failed:
        raise typer.Exit(1)
