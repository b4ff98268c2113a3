"""Sentry issue ids are digits only before they reach Sentry's API path.

An id comes from a webhook body (or a page of the issues poll); pasted into the path it
could call another endpoint with our token. Every call here goes to an
``httpx.MockTransport`` that records what would have been sent.
"""

from __future__ import annotations

import httpx
import pytest

from autotriage.errors import SentryApiError
from autotriage.sources.sentry import api as sentry_api

BASE = "http://sentry.test"
TOKEN = "sntrys_test_token"
HOSTILE_IDS = [
    "1?cursor=x&",
    "1%2F..%2F..%2Fusers",
    "https://evil.example/api/0/users/",
    "//evil.example/x",
    "../users",
    "1/../../users",
    "1#fragment",
    "1;x=y",
    "1 ",
    "1\r\nX-Injected: 1",
    "",
    "-1",
    "1.5",
    "0x1f",
    "\uff11",  # fullwidth one: str.isdigit() alone says yes
    "\u0661\u0662",  # Arabic-Indic digits: also "digits"
]
EVENT = {"eventID": "b" * 32, "groupID": "77", "title": "E: x", "entries": []}


class Recorder:
    """A client whose every request is recorded and answered with `EVENT`."""

    def __init__(self) -> None:
        self.sent: list[httpx.Request] = []
        self.client = httpx.Client(transport=httpx.MockTransport(self._answer))

    def _answer(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        if request.url.path.endswith("/issues/"):
            issues = [{"id": i, "title": "E: x", "firstSeen": "2026-01-01T00:00:00Z"}
                      for i in [*HOSTILE_IDS, "77"]]  # fmt: skip
            return httpx.Response(200, json=issues)
        return httpx.Response(200, json=EVENT)


@pytest.mark.parametrize("issue_id", HOSTILE_IDS)
@pytest.mark.parametrize("org", [None, "acme"])
def test_an_id_that_is_not_ascii_digits_is_refused_before_any_request(
    issue_id: str, org: str | None
) -> None:
    recorder = Recorder()
    with pytest.raises(SentryApiError, match="digits only"):
        sentry_api.latest_event(recorder.client, BASE, TOKEN, issue_id, org)
    assert recorder.sent == []


@pytest.mark.parametrize(
    ("org", "path"),
    [
        (None, "/api/0/issues/77/events/latest/"),
        ("acme", "/api/0/organizations/acme/issues/77/events/latest/"),
        # an organisation slug is configuration, yet still one quoted segment
        ("a/../b?c#d", "/api/0/organizations/a%2F..%2Fb%3Fc%23d/issues/77/events/latest/"),
    ],
)
def test_a_digits_id_builds_one_quoted_path(org: str | None, path: str) -> None:
    recorder = Recorder()
    event = sentry_api.latest_event(recorder.client, BASE + "/", TOKEN, "77", org)
    (request,) = recorder.sent
    assert request.url.host == "sentry.test"
    assert request.url.raw_path.decode() == path
    assert request.url.query == b""
    assert event.contexts["sentry"]["issue_id"] == "77"


def test_the_poll_never_follows_an_issue_id_it_was_handed() -> None:
    recorder = Recorder()
    page = sentry_api.poll_page(recorder.client, BASE, TOKEN, "acme", "shop", None)
    paths = [r.url.raw_path.decode() for r in recorder.sent]
    assert paths[0].startswith("/api/0/projects/acme/shop/issues/?")
    assert paths[1:] == ["/api/0/organizations/acme/issues/77/events/latest/"]
    # the hostile issues are still kept, from the issue alone (no frames fetched)
    assert len(page.events) == len([i for i in HOSTILE_IDS if i]) + 1


def test_the_poll_quotes_the_organisation_and_project_as_one_segment_each() -> None:
    recorder = Recorder()
    sentry_api.poll_page(recorder.client, BASE, TOKEN, "a/../b?c", "shop#x", None)
    listing = recorder.sent[0].url
    assert listing.host == "sentry.test"
    assert (
        listing.raw_path.decode().split("?")[0] == "/api/0/projects/a%2F..%2Fb%3Fc/shop%23x/issues/"
    )
    assert dict(listing.params)["query"] == "is:unresolved"
