"""Helpers every ingestion route shares: a size-capped body, secrets, and durable accept."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from fastapi import Request

from autotriage.errors import PayloadTooLarge, SignatureInvalid
from autotriage.intake import Intake
from autotriage.models import ErrorEvent
from autotriage.sources.base import Verifying
from autotriage.sources.registry import REGISTRY
from autotriage.store.events import StoredDelivery
from autotriage.web.codecs import inflate
from autotriage.web.state import services_of


async def read_body(request: Request, limit: int | None = None) -> bytes:
    """The raw body, refusing (413) anything past `limit` bytes (by default the webhook
    limit, ``MAX_BODY_BYTES``) before reading it all."""
    cap = limit if limit is not None else services_of(request).settings.limits.webhook
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > cap:
        raise PayloadTooLarge(f"body is {declared} bytes; the limit is {cap}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise PayloadTooLarge(f"body exceeds the limit of {cap} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_inflated(request: Request) -> bytes:
    """The body of an SDK or exporter post, decoded per ``Content-Encoding`` within the
    ingest limits (413 for a body or an inflated body past them)."""
    limits = services_of(request).settings.limits
    raw = await read_body(request, limits.ingest)
    return inflate(raw, request.headers.get("content-encoding"), limits.inflated)


def lower_headers(request: Request) -> dict[str, str]:
    """Request headers with lower-cased names."""
    return {k.lower(): v for k, v in request.headers.items()}


def verify(
    request: Request,
    source: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    token_in_query: bool = False,
) -> None:
    """Run registered `source`'s verifier on the raw body (`SignatureInvalid` on failure).

    A ``token`` query parameter lands in proxy logs, so it is refused, except with
    `token_in_query` for a sender that can only be given a URL (Sentry's legacy plugin):
    there it is handed to the verifier as the ``X-Autotriage-Token`` header it reads.
    autotriage itself never logs a query string (no access log; errors log the path).
    """
    check = REGISTRY[source].verify
    if check is None:
        raise LookupError(f"source {source!r} registers no verifier")
    token = request.query_params.get("token")
    if token is not None and not token_in_query:
        raise SignatureInvalid(
            "a secret in the query string is refused (it lands in proxy logs): "
            "send it as the X-Autotriage-Token header"
        )
    if token:
        headers = {**headers, "x-autotriage-token": token}
    services = services_of(request)
    check(body, headers, Verifying(services.settings, services.clock(), services.sns_certs))


async def accept(
    request: Request,
    source: str,
    events: Sequence[ErrorEvent],
    delivery_id: str | None = None,
    *,
    size: int | None = None,
) -> StoredDelivery:
    """Scrub and commit `events`; return once they are durable.

    A webhook delivery is shed here (429) while the server is behind; the DSN and OTLP
    routes were admitted before reading their bodies (`autotriage.web.keyauth.guarded`).
    `size` is the decoded body's length, when known: a large body is scrubbed off the
    event loop.
    """
    services = services_of(request)
    if not getattr(request.state, "admitted", False):
        await services.guard.shedder.check()
    intake: Intake = services.intake
    return await intake.accept_async(source, events, delivery_id=delivery_id, size=size)
