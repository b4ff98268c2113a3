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
VALUES = judge.value_verdicts()
PARAMETERIZATION = judge.parameterization_verdicts()
KNOWN = judge.differences()


def test_there_are_enough_cases() -> None:
    four = [v for v in FRAMES if v.platform in ("python", "javascript", "java", "go")]
    assert len(four) >= 50
    assert {v.platform for v in four} == {"python", "javascript", "java", "go"}
    assert len(PARAMETERIZATION) == 4 * 172


@pytest.mark.parametrize(
    ("verdicts", "floor"),
    [(FRAMES, 48 / 61), (VALUES, 17 / 21), (PARAMETERIZATION, 632 / 688)],
    ids=["frames", "values", "params"],
)
def test_agreement_stays_at_its_floor(verdicts: list[judge.Verdict], floor: float) -> None:
    assert sum(v.agrees for v in verdicts) / len(verdicts) >= floor


@pytest.mark.parametrize(
    ("table", "verdicts"),
    [("frames", FRAMES), ("values", VALUES), ("parameterization", PARAMETERIZATION)],
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


def test_a_replacing_fingerprint_uses_no_frames() -> None:
    # A source fingerprint without {{ default }}, or a server rule, is the whole hash, as
    # Sentry's custom-fingerprint variant is; a hybrid one keeps the default's frames.
    by_name = {v.name: v for v in FRAMES}
    assert by_name["custom-fingerprint"].ours == "hint [[]]"
    assert by_name["custom-fingerprint-server-rule"].ours == "rule [[]]"
    assert by_name["hybrid-fingerprint-custom-client-hybrid-server"].ours.startswith(
        "app [[0, 1, 2,"
    )
    assert all(by_name[n].agrees for n in ("custom-fingerprint", "custom-fingerprint-server-rule"))


def test_a_frame_disagreement_is_seen_as_one() -> None:
    # Sentry's built-in SDK rule drops the in-app frame of java-chained; autotriage keeps it.
    chained = next(v for v in FRAMES if v.name == "java-chained")
    assert not chained.agrees
    assert chained.ours == "app [[], [], [0]]"
    assert chained.sentry.startswith("system [[1, 2,")
