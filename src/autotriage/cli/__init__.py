"""The ``autotriage`` command: serve, scan, replay, groups and doctor.

Each command lives in its own module and is registered here explicitly.
"""

from __future__ import annotations

import typer

from autotriage.cli import doctor, groups, keys, replay, scan, serve

app = typer.Typer(
    name="autotriage",
    help="Turn production errors into deduplicated GitHub issues.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("serve")(serve.serve)
app.command("scan")(scan.scan)
app.command("replay")(replay.replay)
app.add_typer(groups.app, name="groups")
app.command("doctor")(doctor.doctor)
app.add_typer(keys.app, name="keys")


def main() -> None:
    """Console-script entry point."""
    app()
