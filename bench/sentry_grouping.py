"""autotriage's grouping beside Sentry's own, input by input.

Two tables, both from data copied out of getsentry/sentry (origins in
``tests/fixtures/sentry_grouping/``):

- **frames**: for each grouping input, which frames autotriage's fingerprint is made of
  (`autotriage.understanding.fingerprint.contributing_frames`, after the event went through
  the Sentry source's own mapping) beside the frames Sentry's snapshot marks as contributing
  (``frame*``) in its contributing variant. Agreement means the same frames of each
  exception, and (where any frame counts) the in-app variant on both sides or on neither;
  for a message event, also the same message template.
- **parameterization**: each case of Sentry's parameterization test, alone and with text
  before and after it, as Sentry's test runs it, through `parameterize.template`, beside
  Sentry's expected output. Placeholder names are not compared (autotriage writes every
  value as ``<*>``), and both sides are put in autotriage's canonical form first (a run of
  values is one value; empty or value-only brackets go), so only masking decisions count.

Every disagreement must be one of the deliberate differences listed in
``tests/fixtures/sentry_grouping/differences.json`` and explained in ``docs/grouping.md``;
``tests/unit/understanding/test_sentry_grouping.py`` holds both agreements to a floor.

    python bench/sentry_grouping.py [-v]
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autotriage.sources.sentry.event import event_from_sentry
from autotriage.understanding.fingerprint import contributing_frames
from autotriage.understanding.parameterize import template

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "sentry_grouping"
_PLACEHOLDER = re.compile(r"<[a-z][a-z0-9_]*>")
_RUN = re.compile(r"<\*>(?:[\s/.,:_=&?-]*<\*>)+")
_OPTIONAL = re.compile(r" ?\((?:<\*>)?\)| ?\[(?:<\*>)?\]")
AROUND = (("", ""), ("prefix ", ""), ("", " suffix"), ("prefix ", " suffix"))


@dataclass(frozen=True)
class Verdict:
    """One comparison: which case, whether both sides agree, and what each side gave."""

    table: str
    name: str
    agrees: bool
    ours: str
    sentry: str
    platform: str = ""


def _load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def differences() -> dict[str, dict[str, str]]:
    """Per table, case name -> the documented difference that explains its disagreement."""
    data: dict[str, dict[str, str]] = _load("differences.json")
    return {table: data.get(table, {}) for table in ("frames", "parameterization")}


def frame_verdicts() -> list[Verdict]:
    """One verdict per grouping input."""
    verdicts = []
    for case in _load("frames.json")["cases"]:
        event = event_from_sentry(case["event"])
        variant, frames = contributing_frames(event)
        sentry = case["sentry"]
        # The variant counts only where frames do: without frames Sentry calls the
        # type-and-value hash "app", autotriage "exception".
        same_variant = (variant == "app") == (sentry["variant"] == "app")
        agrees = frames == sentry["frames"] and (same_variant or not any(frames))
        if "message" in sentry:  # a message event: its template is the whole hash
            ours_message = canonical(template(event.message))
            agrees = agrees and ours_message == canonical(sentry["message"])
        verdicts.append(
            Verdict(
                "frames",
                case["name"],
                agrees,
                f"{variant} {frames}",
                f"{sentry['variant']} {sentry['frames']}",
                case["event"].get("platform", ""),
            )
        )
    return verdicts


def canonical(text: str) -> str:
    """`text` in autotriage's canonical template form, every placeholder ``<*>``."""
    text = " ".join(_PLACEHOLDER.sub("<*>", text).split())
    text = _RUN.sub("<*>", text)
    while (shorter := _OPTIONAL.sub("", text)) != text:
        text = shorter
    return _RUN.sub("<*>", text)


def parameterization_verdicts() -> list[Verdict]:
    """One verdict per parameterization case and placement (alone, after and before text)."""
    verdicts = []
    for case in _load("parameterization.json")["cases"]:
        for before, after in AROUND:
            ours = canonical(template(before + case["input"] + after))
            sentry = canonical(before + case["expected"] + after)
            verdicts.append(Verdict("parameterization", case["name"], ours == sentry, ours, sentry))
    return verdicts


def main(argv: Sequence[str]) -> int:
    """Print agreement per table (frames per platform), then every disagreement."""
    known = differences()
    for table, verdicts in (
        ("frames", frame_verdicts()),
        ("parameterization", parameterization_verdicts()),
    ):
        agreed = sum(v.agrees for v in verdicts)
        print(f"{table}: {agreed}/{len(verdicts)} agree ({agreed / len(verdicts):.1%})")
        if table == "frames":
            total = Counter(v.platform for v in verdicts)
            good = Counter(v.platform for v in verdicts if v.agrees)
            for platform in sorted(total):
                print(f"  {platform:<12} {good[platform]}/{total[platform]}")
        why = Counter(known[table].get(v.name, "UNDOCUMENTED") for v in verdicts if not v.agrees)
        for reason, count in why.most_common():
            print(f"  differs: {reason}: {count}")
        if "-v" in argv:
            for v in verdicts:
                if not v.agrees:
                    reason = known[table].get(v.name, "UNDOCUMENTED")
                    print(f"    {v.name} [{reason}]")
                    print(f"      ours   {v.ours!r}\n      sentry {v.sentry!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
