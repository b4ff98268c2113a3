"""CODEOWNERS: who owns a path, as GitHub reads the file.

Docs: https://docs.github.com/en/repositories/managing-your-repositorys-settings-and-features/customizing-your-repository/about-code-owners

The first of ``.github/CODEOWNERS``, ``CODEOWNERS`` and ``docs/CODEOWNERS`` wins. Each
line is a gitignore pattern, compiled by pathspec (GitHub's exceptions: no ``!``
negation, no ``[]`` ranges, and ``dir/*`` covers direct children only), followed by
owners; the *last* matching line decides, and a matching line
with no owners means "nobody". Owners are ``@user``, ``@org/team`` or an email address.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from pathspec.patterns.gitignore import GitIgnorePatternError
from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern

LOCATIONS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
OwnerKind = Literal["user", "team", "email"]


@dataclass(frozen=True, slots=True)
class Owner:
    """One owner as CODEOWNERS names it."""

    name: str
    kind: OwnerKind


@dataclass(frozen=True, slots=True)
class Rule:
    """One CODEOWNERS line."""

    pattern: str
    regex: re.Pattern[str]
    owners: tuple[Owner, ...]
    line: int


def owner_kind(name: str) -> OwnerKind | None:
    """``team`` for ``@org/team``, ``user`` for ``@user``, ``email`` for an address."""
    if name.startswith("@"):
        return "team" if "/" in name else "user"
    if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", name):
        return "email"
    return None


def pattern_regex(pattern: str) -> re.Pattern[str] | None:
    """A regex matching the repository paths a CODEOWNERS pattern covers.

    pathspec compiles the gitignore semantics; its ``ps_d`` group marks a match made only
    because a parent directory matched, which `covers` needs for GitHub's one exception.
    None for a line GitHub skips: one pathspec cannot read, or ``/`` alone.
    """
    try:
        return GitIgnoreSpecPattern(pattern).regex
    except GitIgnorePatternError:
        return None  # GitHub skips a line it cannot read


def covers(rule: Rule, path: str) -> bool:
    """Whether `rule` covers `path` the way GitHub reads it.

    gitignore's ``docs/*`` also matches everything under a matched ``docs/sub/``; GitHub
    documents that ``docs/*`` covers ``docs/a.md`` but not ``docs/sub/b.md``.
    """
    found = rule.regex.match(path)
    if found is None:
        return False
    direct_only = rule.pattern.endswith("/*")
    return not (direct_only and found.groupdict().get("ps_d"))


def parse_codeowners(text: str) -> list[Rule]:
    """The rules of a CODEOWNERS file, in file order; malformed owners are skipped."""
    rules = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = re.sub(r"\s+#.*$", "", line)  # a trailing comment
        fields = line.split()
        pattern = fields[0].replace("\\#", "#")
        if pattern.startswith("!") or "[" in pattern:
            continue  # unsupported by GitHub: the line is ignored
        owners = tuple(
            Owner(name, kind) for name in fields[1:] if (kind := owner_kind(name)) is not None
        )
        regex = pattern_regex(fields[0])  # pathspec reads the escaped form
        if regex is not None:
            rules.append(Rule(pattern, regex, owners, number))
    return rules


def owners_for(rules: list[Rule], path: str) -> tuple[Rule | None, tuple[Owner, ...]]:
    """The last rule matching `path` and its owners (none when nothing matches)."""
    for rule in reversed(rules):
        if covers(rule, path):
            return rule, rule.owners
    return None, ()
