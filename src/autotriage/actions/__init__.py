"""Outbound actions: the analysis stage, the local tracker, GitHub and Slack.

`build_handlers(settings)` is the explicit registry of handlers by action kind.
"""

from __future__ import annotations

import httpx

from autotriage.actions.analyze import AnalyzeGroup
from autotriage.actions.base import ActionHandler, ActionResult, PlannedAction
from autotriage.actions.slack import SlackNotify
from autotriage.actions.tracker import tracker_handlers
from autotriage.config import Settings
from autotriage.understanding.scrub import ScrubPolicy

__all__ = ["ActionHandler", "ActionResult", "PlannedAction", "build_handlers"]


def build_handlers(
    settings: Settings,
    *,
    http: httpx.Client | None = None,
    policy: ScrubPolicy | None = None,
) -> dict[str, ActionHandler]:
    """Every handler this configuration can run, by kind.

    What they send is scrubbed by `policy` (by default the settings' ``SCRUB_*``); Slack
    posts go through `http`, the process's one outbound client, when given.
    """
    policy = policy or ScrubPolicy.from_settings(settings.scrub)
    handlers: list[ActionHandler] = [AnalyzeGroup(settings), *tracker_handlers(policy)]
    if settings.slack_configured:
        handlers.append(SlackNotify(settings, http))
    if settings.github_configured:
        from autotriage.actions.github.handlers import github_handlers  # loads githubkit

        handlers += github_handlers(settings)
    return {handler.kind: handler for handler in handlers}
