"""Chained exceptions captured by the official sentry-sdk keep their link (raised from, or
while handling) when mapped onto the model."""

from __future__ import annotations

from typing import Any

import sentry_sdk
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport

from autotriage.sources.sentry.event import event_from_sentry


class _Kept(Transport):
    """A transport that keeps the events instead of sending them."""

    def __init__(self, events: list[dict[str, Any]]) -> None:
        super().__init__()
        self.events = events

    def capture_envelope(self, envelope: Envelope) -> None:
        event = envelope.get_event()
        if event is not None:
            self.events.append(dict(event))


def _captured(raise_it: Any) -> dict[str, Any]:
    events: list[dict[str, Any]] = []
    sentry_sdk.init(
        dsn="http://key@127.0.0.1:9/1", transport=_Kept(events), default_integrations=False
    )
    try:
        raise_it()
    except Exception:
        sentry_sdk.capture_exception()
    sentry_sdk.flush()
    sentry_sdk.init(dsn=None)
    (event,) = events
    return event


def _group_from() -> None:
    try:
        {}["port"]
    except KeyError as error:
        raise ExceptionGroup("startup", [ValueError("port"), TypeError("host")]) from error


def _group_during() -> None:
    try:
        {}["port"]
    except KeyError:
        raise ExceptionGroup("startup", [ValueError("port")])  # noqa: B904 (implicit chain)


def _plain_from() -> None:
    try:
        {}["port"]
    except KeyError as error:
        raise ValueError("port is not set") from error


def test_a_cause_and_a_context_are_links_and_group_members_are_not() -> None:
    # The SDK marks chained exceptions' mechanism.source where it walks a group's tree.
    caused = event_from_sentry(_captured(_group_from))
    assert [(e.type, e.link) for e in caused.exceptions] == [
        ("TypeError", None),
        ("ValueError", None),
        ("KeyError", "cause"),
        ("ExceptionGroup", None),
    ]
    during = event_from_sentry(_captured(_group_during))
    assert [(e.type, e.link) for e in during.exceptions] == [
        ("ValueError", None),
        ("KeyError", "context"),
        ("ExceptionGroup", None),
    ]


def test_a_chain_the_sdk_does_not_mark_keeps_its_order_and_no_link() -> None:
    # For a plain chain the SDK sends the exceptions cause-first with a generic mechanism:
    # it does not say "from" or "while handling", so neither does the model.
    event = event_from_sentry(_captured(_plain_from))
    assert [(e.type, e.link) for e in event.exceptions] == [
        ("KeyError", None),
        ("ValueError", None),
    ]
