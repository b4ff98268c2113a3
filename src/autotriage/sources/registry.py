"""The one explicit list of sources: it drives the web routes, ``replay`` and the CLI.

Entries are matched in order by ``replay --source auto``; the web app serves every
entry's routes. Never import a source by a name taken from a request or a file.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from autotriage.errors import SignatureInvalid
from autotriage.sources import text
from autotriage.sources.aws import cloudwatch, firehose, logs_api, sns
from autotriage.sources.base import SourceSpec, Verifying
from autotriage.sources.generic import webhook as generic
from autotriage.sources.otlp import export as otlp
from autotriage.sources.sentry import api as sentry_api
from autotriage.sources.sentry import envelope as sentry_envelope
from autotriage.sources.sentry import webhooks as sentry_webhooks
from autotriage.sources.slack import events as slack

if TYPE_CHECKING:
    from pydantic import SecretStr
    from starlette.routing import BaseRoute


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


def _shared_secret(headers: Mapping[str, str], verifying: Verifying) -> None:
    """``WEBHOOK_SECRET`` in ``X-Autotriage-Token`` (the routes also take a ``token``
    query parameter, which the body and headers don't carry)."""
    secret = _secret(verifying.ingest.webhook_secret)
    if secret is None:
        raise SignatureInvalid("WEBHOOK_SECRET is not configured, so unsigned posts are refused")
    given = headers.get("x-autotriage-token", "")
    if not hmac.compare_digest(given.encode(), secret.encode()):
        raise SignatureInvalid("missing or wrong token")


def verify_sentry(body: bytes, headers: Mapping[str, str], verifying: Verifying) -> None:
    """A signed Integration Platform delivery (its timestamp near the clock), or a plugin
    post with the shared secret."""
    if "sentry-hook-signature" not in headers and "sentry-hook-resource" not in headers:
        _shared_secret(headers, verifying)
        return
    sentry_webhooks.verify(body, headers, _secret(verifying.sentry.sentry_client_secret))
    skew = verifying.ingest.webhook_max_skew_seconds
    sentry_webhooks.check_fresh(headers, verifying.now, skew)


def verify_slack(body: bytes, headers: Mapping[str, str], verifying: Verifying) -> None:
    """A request signed with ``SLACK_SIGNING_SECRET``, or a post with the shared secret."""
    if "x-slack-signature" not in headers:
        _shared_secret(headers, verifying)
        return
    secret = _secret(verifying.slack.slack_signing_secret)
    if secret is None:
        raise SignatureInvalid("SLACK_SIGNING_SECRET is not configured, so Slack posts are refused")
    slack.verify(body, headers, secret, verifying.now)


def verify_firehose(body: bytes, headers: Mapping[str, str], verifying: Verifying) -> None:
    """``X-Amz-Firehose-Access-Key`` against ``FIREHOSE_ACCESS_KEY``."""
    del body
    firehose.verify(headers, _secret(verifying.aws.firehose_access_key))


def verify_sns(body: bytes, headers: Mapping[str, str], verifying: Verifying) -> None:
    """The topic allow-list, then the message's signature by its signing certificate."""
    message = sns.load_message(body)
    allowed = list(verifying.aws.sns_topic_arns)
    sns.check_topic(message, allowed, headers.get("x-amz-sns-topic-arn"))
    if verifying.certificates is None:
        raise SignatureInvalid("no certificate source to check the SNS signature with")
    sns.verify(message, verifying.certificates)


def verify_generic(body: bytes, headers: Mapping[str, str], verifying: Verifying) -> None:
    """The HMAC signature with ``WEBHOOK_SECRET``, and a timestamp near the clock."""
    generic.verify(body, headers, _secret(verifying.ingest.webhook_secret))
    generic.check_fresh(headers, verifying.now, verifying.ingest.webhook_max_skew_seconds)


# The route factories import the web layer only when an app is built.
def _sentry_dsn_routes() -> Sequence[BaseRoute]:
    return sentry_envelope.dsn_routes


def _sentry_routes() -> Sequence[BaseRoute]:
    from autotriage.web.routes import sentry as routes

    return routes.router.routes


def _aws_routes() -> Sequence[BaseRoute]:
    from autotriage.web.routes import aws as routes

    return routes.router.routes


def _slack_routes() -> Sequence[BaseRoute]:
    from autotriage.web.routes import slack as routes

    return routes.router.routes


def _otlp_routes() -> Sequence[BaseRoute]:
    from autotriage.web.routes import otlp as routes

    return routes.routes


def _generic_routes() -> Sequence[BaseRoute]:
    from autotriage.web.routes import generic as routes

    return routes.router.routes


REGISTRY: dict[str, SourceSpec] = {
    # Envelopes first: their header line would also pass for a Sentry event.
    "sentry_envelope": SourceSpec(
        "sentry", sentry_envelope.parse, sentry_envelope.sniff, routes=_sentry_dsn_routes
    ),
    "sentry": SourceSpec(
        "sentry",
        sentry_webhooks.parse,
        sentry_webhooks.sniff,
        verify=verify_sentry,
        routes=_sentry_routes,
        poll=sentry_api.poll_page,
    ),
    "firehose": SourceSpec(
        "firehose", firehose.parse, firehose.sniff, verify=verify_firehose, routes=_aws_routes
    ),
    "sns": SourceSpec("sns", sns.parse, sns.sniff, verify=verify_sns, routes=_aws_routes),
    "slack": SourceSpec(
        "slack", slack.parse, slack.sniff, verify=verify_slack, routes=_slack_routes
    ),
    "cloudwatch": SourceSpec(
        "cloudwatch", cloudwatch.parse, cloudwatch.sniff, poll=logs_api.filter_page
    ),
    "otlp": SourceSpec("otlp", otlp.parse, otlp.sniff, routes=_otlp_routes),
    "generic": SourceSpec(
        "generic", generic.parse, None, verify=verify_generic, routes=_generic_routes
    ),
    "text": SourceSpec("text", text.parse, None),
}


def detect(body: bytes) -> SourceSpec:
    """The first registered source whose sniffer claims `body`; raw text otherwise."""
    for spec in REGISTRY.values():
        if spec.sniff is not None and spec.sniff(body):
            return spec
    return REGISTRY["text"]


def web_routes() -> list[BaseRoute]:
    """Every registered source's routes, each once: plain Starlette routes (the SDK and
    exporter endpoints, which take most of the traffic) before FastAPI's."""
    from fastapi.routing import APIRoute

    seen: dict[int, BaseRoute] = {}
    for spec in REGISTRY.values():
        for route in spec.routes() if spec.routes is not None else ():
            seen.setdefault(id(route), route)
    return sorted(seen.values(), key=lambda route: isinstance(route, APIRoute))
