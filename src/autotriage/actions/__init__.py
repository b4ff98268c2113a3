"""Outbound actions: the analysis stage, the local tracker, GitHub and Slack.

`build_handlers(settings)` is the explicit registry of handlers by action kind.
"""

from __future__ import annotations

from autotriage.actions.analyze import AnalyzeGroup
from autotriage.actions.base import ActionHandler, ActionResult, PlannedAction
from autotriage.actions.issue_context import IssueTracker
from autotriage.actions.slack import SlackNotify
from autotriage.actions.tracker import LocalTracker
from autotriage.config import Settings

__all__ = ["ActionHandler", "ActionResult", "PlannedAction", "build_handlers"]


def build_handlers(settings: Settings) -> dict[str, ActionHandler]:
    """Every handler this configuration can run, by kind."""
    trackers: list[IssueTracker] = [LocalTracker()]
    if settings.github_configured:
        from autotriage.actions.github.handlers import GitHubTracker  # loads githubkit

        trackers.append(GitHubTracker(settings))
    handlers: list[ActionHandler] = [AnalyzeGroup(settings)]
    for tracker in trackers:
        handlers += tracker.handlers()
    if settings.slack_configured:
        handlers.append(SlackNotify(settings))
    return {handler.kind: handler for handler in handlers}
