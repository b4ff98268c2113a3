"""The fix pipeline for one event against a local repository: analyse, then attempt."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from autotriage.actions.fixes.attempt import LlmPropose, attempt_fix
from autotriage.actions.fixes.model import FixAttempt
from autotriage.actions.fixes.settings import FixConfig
from autotriage.analysis import analyze_with
from autotriage.config import Settings
from autotriage.models import ErrorEvent


def fix_locally(
    event: ErrorEvent,
    settings: Settings,
    repo: Path,
    *,
    ref: str | None = None,
    test_command: str | None = None,
    llm: LlmPropose | None = None,
) -> FixAttempt:
    """What the service would do with `event` (PR_ENABLED aside), changing nothing remote."""
    config = FixConfig.from_settings(settings)
    if test_command is not None:
        config = dataclasses.replace(config, test_command=test_command)
    analysis = analyze_with(event, settings, location=str(repo), ref=ref)
    attempt = attempt_fix(event, analysis, repo, config, llm=llm, check_enabled=False)
    attempt.reasons.append(f"analysis confidence {analysis.confidence:.2f}")
    return attempt
