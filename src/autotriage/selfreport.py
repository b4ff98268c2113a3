"""``SENTRY_DSN``: autotriage reports its own errors to a Sentry (or autotriage) DSN.

`init_self_reporting` starts sentry-sdk once per process when the DSN is set. Nothing
personal is sent (``send_default_pii=False``) and every event passes autotriage's own
scrubber first, under the configured ``SCRUB_*`` policy, so secrets and (by choice)
addresses in our own tracebacks never leave either.
"""

from __future__ import annotations

from typing import Any

import sentry_sdk

from autotriage.config_sections import ScrubSettings, SentrySettings
from autotriage.understanding.scrub import ScrubPolicy, scrub_value

_IDENTITY = ("event_id", "timestamp")  # ours, not text: a redacted id would break dedupe


def scrubbing_before_send(policy: ScrubPolicy) -> Any:
    """A sentry-sdk ``before_send`` that scrubs the whole event by `policy`."""

    def before_send(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
        del hint
        identity = {key: event[key] for key in _IDENTITY if key in event}
        scrubbed: dict[str, Any] = scrub_value(event, policy)
        scrubbed.update(identity)
        return scrubbed

    return before_send


def init_self_reporting(sentry: SentrySettings, scrub: ScrubSettings) -> bool:
    """Start sentry-sdk when ``SENTRY_DSN`` is set; returns whether reporting is on."""
    if sentry.sentry_dsn is None:
        return False
    dsn = sentry.sentry_dsn.get_secret_value()
    current = sentry_sdk.get_client()
    if current.is_active() and current.options.get("dsn") == dsn:
        return True  # sentry-sdk is process-wide: serve and worker share one init
    sentry_sdk.init(
        dsn=dsn,
        send_default_pii=False,
        before_send=scrubbing_before_send(ScrubPolicy.from_settings(scrub)),
        default_integrations=True,
        traces_sample_rate=0.0,
    )
    return True
