"""autotriage's grouping beside Sentry's own, input by input.

Two tables, both from data copied out of getsentry/sentry (origins in
``tests/fixtures/sentry_grouping/``):

- **frames**: for each grouping input, which frames autotriage's fingerprint is made of
  (`autotriage.understanding.fingerprint.contributing_frames` after the event went through
  the Sentry source's own mapping; none when a source fingerprint or a fingerprint rule
  without ``{{ default }}`` replaces the hash) beside the frames Sentry's snapshot marks as
  contributing (``frame*``) in its contributing variant. Agreement means the same frames
  of each exception, and (where any frame counts) the in-app variant on both sides or on
  neither; for a message event also the same message template, and for an exception
  without frames the same value template. The input's server-side fingerprint rules are
  given to autotriage as the same ``FINGERPRINT_RULES``. Agreement is printed per runtime
  (Python, JavaScript with Node, Java, Go; ``other`` for inputs without a platform).
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

from autotriage.models import ErrorEvent
from autotriage.sources.sentry.event import event_from_sentry
from autotriage.understanding.fingerprint import (
    DEFAULT,
    GroupingConfig,
    contributing_frames,
    first_match,
    load_rules,
)
from autotriage.understanding.parameterize import template

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "sentry_grouping"
_PLACEHOLDER = re.compile(r"<[a-z][a-z0-9_]*>")
_RUN = re.compile(r"<\*>(?:[\s/.,:_=&?-]*<\*>)+")
_OPTIONAL = re.compile(r" ?\((?:<\*>)?\)| ?\[(?:<\*>)?\]")
AROUND = (("", ""), ("prefix ", ""), ("", " suffix"), ("prefix ", " suffix"))
# Sentry's platform names by runtime (Node events are JavaScript's).
RUNTIMES = {"python": "python", "javascript": "javascript", "node": "javascript", "java": "java"}
RUNTIMES["go"] = "go"


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
    return {table: data.get(table, {}) for table in ("frames", "values", "parameterization")}


def runtime(platform: str) -> str:
    """The runtime a Sentry platform name belongs to (``other`` for the rest)."""
    return RUNTIMES.get(platform, "other")


def project_config(case_event: dict[str, Any]) -> GroupingConfig:
    """The project settings a grouping input carries, as autotriage's configuration.

    Sentry's test inputs put the project's server-side fingerprint rules beside the event
    (``_fingerprinting_rules``: matchers and a fingerprint); they map one to one onto
    `FINGERPRINT_RULES`. Stack-trace rules (``_grouping.enhancements``) have no such
    counterpart (see the ``project-enhancements`` difference).
    """
    rules = [
        {"match": dict(rule["matchers"]), "fingerprint": rule["fingerprint"]}
        for rule in case_event.get("_fingerprinting_rules", [])
    ]
    return GroupingConfig(rules=load_rules(json.dumps(rules))) if rules else GroupingConfig()


def frames_used(event: ErrorEvent, config: GroupingConfig) -> tuple[str, list[list[int]]]:
    """The variant autotriage's fingerprint comes from and, per exception, its frames.

    A matching rule, else the source's fingerprint, without ``{{ default }}`` replaces the
    computed hash, so no frame is used (variant ``rule`` or ``hint``); otherwise the frames
    are the default variant's.
    """
    variant, frames = contributing_frames(event, config)
    rule = first_match(config.rules, event)
    explicit = list(rule.fingerprint) if rule else (event.fingerprint_hint or [])
    if explicit and DEFAULT not in [v.strip() for v in explicit]:
        return ("rule" if rule else "hint"), [[] for _ in frames]
    return variant, frames


def frame_verdicts() -> list[Verdict]:
    """One verdict per grouping input: frames used, and the message or value template."""
    verdicts = []
    for case in _load("frames.json")["cases"]:
        event = event_from_sentry(case["event"])
        variant, frames = frames_used(event, project_config(case["event"]))
        sentry = case["sentry"]
        # The variant counts only where frames do: without frames Sentry calls the
        # type-and-value hash "app", autotriage "exception".
        same_variant = (variant == "app") == (sentry["variant"] == "app")
        agrees = frames == sentry["frames"] and (same_variant or not any(frames))
        ours, theirs = f"{variant} {frames}", f"{sentry['variant']} {sentry['frames']}"
        # A message event's template is its whole hash; without frames, so is the value's.
        for key, text in (("message", event.message), ("value", _value(event))):
            if key in sentry:
                mine = canonical(template(text))
                agrees = agrees and mine == canonical(sentry[key])
                ours, theirs = f"{ours} {key}={mine!r}", f"{theirs} {key}={sentry[key]!r}"
        platform = case["event"].get("platform", "")
        verdicts.append(Verdict("frames", case["name"], agrees, ours, theirs, runtime(platform)))
    return verdicts


def _value(event: ErrorEvent) -> str:
    exc = event.primary_exception
    return exc.value if exc else ""


def value_verdicts() -> list[Verdict]:
    """One verdict per grouping input whose snapshot prints its exception values.

    Sentry strips the values (``<int>``, ``<url>``...) even where the stack trace is the
    hash, so every printed value is a parameterization case taken from a real event.
    """
    verdicts = []
    for case in _load("frames.json")["cases"]:
        if "values" not in case["sentry"]:
            continue
        event = event_from_sentry(case["event"])
        pairs = [
            (canonical(template(exc.value)), canonical(printed))
            for exc, printed in zip(event.exceptions, case["sentry"]["values"], strict=True)
        ]
        platform = runtime(case["event"].get("platform", ""))
        ours, theirs = " | ".join(p[0] for p in pairs), " | ".join(p[1] for p in pairs)
        verdicts.append(Verdict("values", case["name"], ours == theirs, ours, theirs, platform))
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
    """Print agreement per table (frames per runtime), then every disagreement."""
    known = differences()
    for table, verdicts in (
        ("frames", frame_verdicts()),
        ("values", value_verdicts()),
        ("parameterization", parameterization_verdicts()),
    ):
        agreed = sum(v.agrees for v in verdicts)
        print(f"{table}: {agreed}/{len(verdicts)} agree ({agreed / len(verdicts):.1%})")
        if table == "frames":
            total = Counter(v.platform for v in verdicts)
            good = Counter(v.platform for v in verdicts if v.agrees)
            for platform in sorted(total):
                print(f"  {platform:<12} {good[platform]}/{total[platform]}")
            four = [v for v in verdicts if v.platform != "other"]
            agreed_four = sum(v.agrees for v in four)
            print(f"  python+javascript+java+go: {agreed_four}/{len(four)}")
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
