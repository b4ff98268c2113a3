"""The fix pipeline's own settings, taken once from the ``fix`` section of `Settings`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from autotriage.actions.fixes.model import Verdict
from autotriage.actions.fixes.sandbox import Limits
from autotriage.config_sections import FixSettings


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
    def from_settings(cls, fix: FixSettings) -> FixConfig:
        """The ``fix`` section (``FIX_*``/``PR_*``) as one value object."""
        return cls(
            pr_enabled=fix.pr_enabled,
            confidence_threshold=fix.pr_confidence_threshold,
            test_command=fix.fix_test_command,
            setup_command=fix.fix_setup_command,
            limits=Limits(
                fix.fix_test_timeout,
                fix.fix_test_cpu_seconds,
                fix.fix_test_memory_mb,
            ),
            max_changed_lines=fix.fix_max_changed_lines,
            deterministic_requires=fix.fix_deterministic_requires,
            llm_requires=fix.fix_llm_requires,
            cache_dir=Path(fix.fix_cache_dir),
            llm_enabled=fix.fix_llm_enabled,
        )
