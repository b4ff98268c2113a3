"""`build_services`: components built once, and the one transport seam reaching GitHub."""

from __future__ import annotations

from pathlib import Path

import httpx

from autotriage.actions.github.issues import OpenIssue
from autotriage.actions.kinds import ActionKind
from autotriage.actions.slack import SlackNotify
from autotriage.config import load_settings
from autotriage.pipeline import AnalyzeGroup
from autotriage.services import build_services


def test_the_transport_reaches_githubkit_and_components_are_shared(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []

    def reply(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"full_name": "acme/shop"})

    settings = load_settings(
        env_file=None,
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite'}",
        GITHUB_TOKEN="ghp_test",
        GITHUB_OWNER="acme",
        GITHUB_REPO="shop",
        GITHUB_API_URL="http://github.invalid/api/v3",
        SLACK_WEBHOOK_URL="http://slack.invalid/hook",
        SCRUB_IPS="true",
        AUTOTRIAGE_WORKER="false",
    )
    services = build_services(settings, transport=httpx.MockTransport(reply))
    try:
        handlers = services.worker.handlers
        # the worker's handlers are wrapped so their outcomes are counted (metrics)
        opener = getattr(handlers[ActionKind.GITHUB_OPEN], "inner", None)
        assert isinstance(opener, OpenIssue)
        answer = opener.ops.client.gh.request("GET", "/repos/acme/shop")
        assert answer.json()["full_name"] == "acme/shop"
        assert [str(r.url) for r in seen] == ["http://github.invalid/api/v3/repos/acme/shop"]

        analysis = getattr(handlers[ActionKind.ANALYSIS], "inner", None)
        assert isinstance(analysis, AnalyzeGroup)
        assert analysis.analyzer is services.analyzer
        # Every handler that renders scrubs with the services' one policy.
        assert opener.options.scrub is services.scrub
        slack = getattr(handlers[ActionKind.SLACK_NOTIFY], "inner", None)
        assert isinstance(slack, SlackNotify)
        assert slack.policy is services.scrub
        assert slack.http is services.http
    finally:
        services.close()
