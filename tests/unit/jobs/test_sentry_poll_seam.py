"""The timed Sentry poll goes through the one outbound client `build_services` makes.

Issue 12: one outbound HTTP client or transport, the single seam tests replace. The
transport handed to `build_services` answers here; nothing else is reachable.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from autotriage.config import Settings
from autotriage.jobs.work import poll_sentry
from autotriage.services import build_services

ISSUE = {"id": "77", "title": "KeyError: 'sku'", "firstSeen": "2026-01-01T00:00:00Z"}
LATEST = {"eventID": "c" * 32, "groupID": "77", "title": "KeyError: 'sku'", "entries": []}
POLLING = {
    "SENTRY_AUTH_TOKEN": "sntrys_test_token",
    "SENTRY_URL": "http://sentry.test",
    "SENTRY_ORGANIZATION": "acme",
    "SENTRY_PROJECT": "shop",
    "AUTOTRIAGE_WORKER": "false",
}


def test_the_timed_sentry_poll_goes_through_the_services_transport(
    make_settings: Callable[..., Settings],
) -> None:
    sent: list[str] = []

    def sentry(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.path)
        if request.url.path.endswith("/issues/"):
            return httpx.Response(200, json=[ISSUE])
        return httpx.Response(200, json=LATEST)

    services = build_services(make_settings(**POLLING), transport=httpx.MockTransport(sentry))
    try:
        services.store.migrate()
        assert services.work.polls_sentry
        poll_sentry(services.work)
        assert services.work.http is services.http
    finally:
        services.close()
    assert sent == [
        "/api/0/projects/acme/shop/issues/",
        "/api/0/organizations/acme/issues/77/events/latest/",
    ]
