"""autotriage's grouping beside Sentry's, on inputs and cases copied from getsentry/sentry.

The judge is `bench/sentry_grouping.py` (shared, so the report and this test agree). The
floors are the agreement measured when the comparison was written; a change that lowers
it, or a new disagreement that no documented difference explains, fails here.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))
import sentry_grouping as judge

DOCS = (Path(__file__).resolve().parents[3] / "docs" / "grouping.md").read_text()
FRAMES = judge.frame_verdicts()
PARAMETERIZATION = judge.parameterization_verdicts()
KNOWN = judge.differences()


def test_there_are_enough_cases() -> None:
    assert len(FRAMES) >= 38
    assert {v.platform for v in FRAMES} >= {"javascript", "java", "go"}
    assert len(PARAMETERIZATION) == 4 * 172


@pytest.mark.parametrize(
    ("verdicts", "floor"),
    [(FRAMES, 34 / 38), (PARAMETERIZATION, 632 / 688)],
    ids=["frames", "params"],
)
def test_agreement_stays_at_its_floor(verdicts: list[judge.Verdict], floor: float) -> None:
    assert sum(v.agrees for v in verdicts) / len(verdicts) >= floor


@pytest.mark.parametrize(
    ("table", "verdicts"), [("frames", FRAMES), ("parameterization", PARAMETERIZATION)]
)
def test_the_documented_differences_are_the_only_disagreements(
    table: str, verdicts: list[judge.Verdict]
) -> None:
    disagreeing = {v.name for v in verdicts if not v.agrees}
    assert disagreeing == set(KNOWN[table])


def test_every_difference_is_explained_in_the_docs() -> None:
    documented = set(re.findall(r"^- `([a-z0-9-]+)`:", DOCS, re.MULTILINE))
    used = {key for table in KNOWN.values() for key in table.values()}
    assert used <= documented
    assert documented <= used  # no stale entry either


def test_a_disagreement_is_seen_as_one() -> None:
    # The judge is not a tautology: Sentry's own expectation for a case autotriage masks
    # differently is reported as a disagreement, and an agreeing one is not.
    alone = next(v for v in PARAMETERIZATION if v.name == "int - in dashed string with letters")
    assert not alone.agrees
    assert alone.sentry == "maisey-<*>"
    uuid = next(v for v in PARAMETERIZATION if v.name == "uuid")
    assert uuid.agrees
    assert uuid.ours == "<*>"
