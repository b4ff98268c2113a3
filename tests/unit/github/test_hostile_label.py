"""A label holds event text (``service:<name>``): it must stay one segment of the label's
API path, so a service name cannot steer autotriage's token to another GitHub endpoint
(found by the hostile corpus, issue 16)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from autotriage.actions.github.client import GitHubClient
from autotriage.actions.github.issues import IssueOps
from autotriage.config import Settings


@pytest.mark.parametrize(
    "name",
    ["service:billing/api", "service:x/../../../../user?per_page=1#", "service:a b%2Fc"],
)
def test_a_label_name_is_one_path_segment(
    make_settings: Callable[..., Settings], name: str
) -> None:
    paths: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.raw_path)
        if request.method == "GET":
            return httpx.Response(404, json={"message": "Not Found"})
        return httpx.Response(201, json={"id": 1, "name": name, "color": "ededed"})

    settings = make_settings(
        GITHUB_TOKEN="ghs_test", GITHUB_OWNER="o", GITHUB_REPO="r", GITHUB_API_URL="http://gh.test"
    )
    client = GitHubClient(settings.github, transport=httpx.MockTransport(handler))
    IssueOps(client).ensure_labels([name])
    get = paths[0].decode()
    assert get.startswith("/repos/o/r/labels/"), get
    segment = get.removeprefix("/repos/o/r/labels/")
    assert "/" not in segment and "?" not in segment and "#" not in segment
    assert httpx.URL("http://x/" + segment).path.removeprefix("/") == name  # decodes back
    assert paths[1] == b"/repos/o/r/labels"  # then created, by name in the body
