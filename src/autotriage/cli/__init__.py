"""The ``autotriage`` command: serve, worker, scan, replay, analyze, groups and doctor.

Each command lives in its own module and is registered here explicitly.
"""

from __future__ import annotations

import typer

from autotriage.cli import analyze, doctor, fix, groups, keys, replay, scan, serve, worker

app = typer.Typer(
    name="autotriage",
    help="Turn production errors into deduplicated GitHub issues.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("serve")(serve.serve)
app.command("worker")(worker.worker)
app.command("scan")(scan.scan)
app.command("replay")(replay.replay)
app.command("analyze")(analyze.analyze)
app.command("fix")(fix.fix)
app.add_typer(groups.app, name="groups")
app.command("doctor")(doctor.doctor)
app.add_typer(keys.app, name="keys")


def main() -> None:
    """Console-script entry point."""
    app()
