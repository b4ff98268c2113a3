"""Outbound actions: the local tracker, GitHub, Slack and fix attempts (and the analysis
stage, which is the pipeline's: `autotriage.pipeline.AnalyzeGroup`).

`build_handlers(settings.actions)` is the explicit registry of handlers by action kind. The
adapters (GitHub, Slack) are imported only when configured, inside it: the core imports
this package (for `kinds`) and must not load an adapter by doing so.
"""

from __future__ import annotations

import httpx

from autotriage.actions.fixes.propose import FixPublisher, ProposeFix
from autotriage.actions.fixes.publish_local import LocalFixPublisher
from autotriage.actions.kinds import ActionHandler, ActionResult, IssueTracker, PlannedAction
from autotriage.actions.tracker import LocalTracker
from autotriage.analysis.analyzer import Analyzer
from autotriage.config_sections import ActionSettings
from autotriage.understanding.scrub import ScrubPolicy

__all__ = ["ActionHandler", "ActionResult", "PlannedAction", "build_handlers"]


def build_handlers(
    settings: ActionSettings,
    *,
    http: httpx.Client | None = None,
    policy: ScrubPolicy | None = None,
    analyzer: Analyzer | None = None,
    transport: httpx.BaseTransport | None = None,
) -> dict[str, ActionHandler]:
    """Every handler this configuration can run, by kind, each given its own sections.

    What they send is scrubbed by `policy` (by default the settings' ``SCRUB_*``); Slack
    posts go through `http`, the process's one outbound client, when given, and GitHub
    calls through githubkit's own client over the same `transport`. `analyzer` (with its
    repository and CODEOWNERS caches) is the process's one, when given.
    """
    from autotriage.pipeline import AnalyzeGroup  # the core's stage; it imports this package

    policy = policy or ScrubPolicy.from_settings(settings.scrub)
    trackers: list[IssueTracker] = [LocalTracker(policy)]
    publisher: FixPublisher = LocalFixPublisher(policy)
    if settings.github.configured:
        from autotriage.actions.github.fixpr import GitHubFixPublisher
        from autotriage.actions.github.handlers import GitHubTracker  # loads githubkit

        github = GitHubTracker(
            settings.github,
            database_url=settings.database_url,
            policy=policy,
            transport=transport,
        )
        trackers.append(github)
        publisher = GitHubFixPublisher(settings.analysis, settings.fix, github.ops, policy)
    handlers: list[ActionHandler] = [
        AnalyzeGroup(
            analyzer or Analyzer(settings.analysis), propose_fixes=settings.fix.pr_enabled
        ),
        ProposeFix(settings.analysis, settings.fix, publisher),
    ]
    for tracker in trackers:
        handlers += tracker.handlers()
    if settings.slack.configured:
        from autotriage.actions.slack import SlackNotify

        handlers.append(
            SlackNotify(settings.slack, http, public_url=settings.public_url, policy=policy)
        )
    return {handler.kind: handler for handler in handlers}
