"""Sources: one module per source, registered explicitly here.

Each module offers a pure ``parse(body, headers) -> list[ErrorEvent]``; web routes add
the source's own ``verify``. Never import a module by a name taken from a request.
"""

from __future__ import annotations

from autotriage.sources import (
    cloudwatch,
    firehose,
    generic,
    otlp,
    sentry,
    sentry_envelope,
    slack,
    text,
)
from autotriage.sources.base import SourceSpec

REGISTRY: dict[str, SourceSpec] = {
    # Envelopes first: their header line would also pass for a Sentry event.
    "sentry_envelope": SourceSpec("sentry", sentry_envelope.parse, sentry_envelope.sniff),
    "sentry": SourceSpec("sentry", sentry.parse, sentry.sniff),
    "firehose": SourceSpec("firehose", firehose.parse, firehose.sniff),
    "slack": SourceSpec("slack", slack.parse, slack.sniff),
    "cloudwatch": SourceSpec("cloudwatch", cloudwatch.parse, cloudwatch.sniff),
    "otlp": SourceSpec("otlp", otlp.parse, otlp.sniff),
    "generic": SourceSpec("generic", generic.parse, None),
    "text": SourceSpec("text", text.parse, None),
}


def detect(body: bytes) -> SourceSpec:
    """The first registered source whose sniffer claims `body`; raw text otherwise."""
    for spec in REGISTRY.values():
        if spec.sniff is not None and spec.sniff(body):
            return spec
    return REGISTRY["text"]
