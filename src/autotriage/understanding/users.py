"""Who an occurrence happened to, as Sentry defines an event's user.

Sentry's user interface (https://develop.sentry.dev/sdk/data-model/event-payloads/user/)
has ``id``, ``username``, ``email`` and ``ip_address``; like Sentry's own user tag, the
first of those present, in that order, names the user (``id:42``, ``email:a@b.c``).
OpenTelemetry names the user in the ``enduser.id`` attribute.

A value the scrubber replaced, or Sentry's ``{{auto}}`` placeholder (the server was to
fill in the client's address), names nobody and is skipped.
"""

from __future__ import annotations

from typing import Any

from autotriage.models import ErrorEvent

FIELDS = (("id", "id"), ("username", "username"), ("email", "email"), ("ip_address", "ip"))
MAX_CHARS = 256


def _named(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value).strip()
    if not text or text == "{{auto}}" or text.startswith(("[REDACTED", "[Filtered]")):
        return None
    return text[:MAX_CHARS]


def user_identity(event: ErrorEvent) -> str | None:
    """``kind:value`` naming the event's user, or None when the event names nobody."""
    user = event.contexts.get("user")
    if isinstance(user, dict):
        for field, kind in FIELDS:
            value = _named(user.get(field))
            if value is not None:
                return f"{kind}:{value}"
    otel = event.contexts.get("otel")
    attributes = otel.get("attributes") if isinstance(otel, dict) else None
    if isinstance(attributes, dict):
        value = _named(attributes.get("enduser.id"))
        if value is not None:
            return f"id:{value}"
    return None
