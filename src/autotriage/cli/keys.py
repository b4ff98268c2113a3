"""``autotriage keys``: ingest keys for the Sentry DSN endpoints and OTLP.

``create`` prints the key once, with the DSN to paste into a Sentry SDK (built from
``PUBLIC_URL``) and the header an OpenTelemetry exporter sends; only a hash is stored.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

import typer

from autotriage.cli.common import fail, open_services, settings
from autotriage.models import utcnow
from autotriage.store.ingest_keys import create_key, list_keys, revoke_key

app = typer.Typer(help="Manage ingest keys (Sentry DSNs, OTLP bearer keys).", no_args_is_help=True)


def build_dsn(public_url: str, key: str, project_id: int) -> str:
    """``scheme://key@host[:port][/path]/project_id`` for `public_url`."""
    parts = urlsplit(public_url.rstrip("/"))
    if not parts.scheme or not parts.netloc:
        raise ValueError("PUBLIC_URL must look like https://autotriage.example.com")
    return f"{parts.scheme}://{key}@{parts.netloc}{parts.path}/{project_id}"


@app.command("create")
def create(
    project_id: Annotated[int, typer.Option("--project-id", min=1, help="Project id.")] = 1,
    label: Annotated[str | None, typer.Option(help="What the key is for.")] = None,
) -> None:
    """Create a key and print it with its DSN (shown once: only a hash is stored)."""
    current = settings().server
    public_url = current.public_url or f"http://{current.host}:{current.port}"
    services = open_services()
    store = services.store
    try:
        with store.transaction() as session:
            key, info = create_key(session, project_id, label, utcnow())
    finally:
        services.close()
    try:
        dsn = build_dsn(public_url, key, project_id)
    except ValueError as exc:
        raise fail(f"PUBLIC_URL: {exc}", 2) from None
    typer.echo(f"key:     {key}")
    typer.echo(f"prefix:  {info.prefix}")
    typer.echo(f"project: {info.project_id}")
    typer.echo(f"DSN:     {dsn}")
    typer.echo(f"OTLP:    OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20{key}")


@app.command("list")
def list_() -> None:
    """List keys by prefix (the secrets themselves are not stored)."""
    services = open_services()
    store = services.store
    try:
        with store.reading() as session:
            keys = list_keys(session)
    finally:
        services.close()
    if not keys:
        typer.echo("No ingest keys. Create one with `autotriage keys create`.")
        return
    for info in keys:
        state = f"revoked {info.revoked_at:%Y-%m-%d %H:%M}" if info.revoked_at else "active"
        label = f"  {info.label}" if info.label else ""
        typer.echo(f"{info.prefix}  project {info.project_id}  {state}{label}")


@app.command("revoke")
def revoke(prefix: Annotated[str, typer.Argument(help="The key's prefix (from `list`).")]) -> None:
    """Revoke the active key with this prefix."""
    if len(prefix) < 4:
        raise fail("give at least 4 characters of the key's prefix", 2)
    services = open_services()
    store = services.store
    try:
        with store.transaction() as session:
            revoked = revoke_key(session, prefix, utcnow())
    except ValueError as exc:
        raise fail(str(exc), 2) from None
    finally:
        services.close()
    if not revoked:
        raise fail(f"no active key starts with {prefix!r}")
    for info in revoked:
        typer.echo(f"revoked {info.prefix} (project {info.project_id})")
