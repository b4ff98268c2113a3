"""The fix pipeline's own settings, taken once from `Settings` (the ``fix`` section)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from autotriage.actions.fixes.model import Verdict
from autotriage.actions.fixes.sandbox import Limits
from autotriage.config import Settings


@dataclass(frozen=True, slots=True)
class FixConfig:
    """What the fixers, gates and sandbox need; no secrets except the LLM key's holder."""

    pr_enabled: bool = False
    confidence_threshold: float = 0.8
    test_command: str | None = None
    setup_command: str | None = None
    limits: Limits = field(default_factory=Limits)
    max_changed_lines: int = 10
    deterministic_requires: Verdict = "safe"
    llm_requires: Verdict = "proven"
    cache_dir: Path = Path("./data/fix-cache")
    llm_enabled: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> FixConfig:
        """The ``FIX_*``/``PR_*`` settings as one value object."""
        return cls(
            pr_enabled=settings.pr_enabled,
            confidence_threshold=settings.pr_confidence_threshold,
            test_command=settings.fix_test_command,
            setup_command=settings.fix_setup_command,
            limits=Limits(
                settings.fix_test_timeout,
                settings.fix_test_cpu_seconds,
                settings.fix_test_memory_mb,
            ),
            max_changed_lines=settings.fix_max_changed_lines,
            deterministic_requires=settings.fix_deterministic_requires,
            llm_requires=settings.fix_llm_requires,
            cache_dir=Path(settings.fix_cache_dir),
            llm_enabled=settings.fix_llm_enabled,
        )
