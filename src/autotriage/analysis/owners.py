"""CODEOWNERS: who owns a path, as GitHub reads the file.

Docs: https://docs.github.com/en/repositories/managing-your-repositorys-settings-and-features/customizing-your-repository/about-code-owners

The first of ``.github/CODEOWNERS``, ``CODEOWNERS`` and ``docs/CODEOWNERS`` wins. Each
line is a gitignore-like pattern (no ``!`` negation, no ``[]`` ranges, ``\\#`` escapes a
leading hash) followed by owners; the *last* matching line decides, and a matching line
with no owners means "nobody". Owners are ``@user``, ``@org/team`` or an email address.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

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


def pattern_regex(pattern: str) -> re.Pattern[str]:
    """A regex matching the repository paths a CODEOWNERS pattern covers."""
    anchored = pattern.startswith("/") or "/" in pattern.rstrip("/")
    body = pattern.strip("/")
    directory_only = pattern.endswith("/")
    out = []
    i = 0
    while i < len(body):
        if body.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif body.startswith("/**", i) and i + 3 == len(body):
            out.append("/.*")
            i += 3
        elif body.startswith("**", i):
            out.append(".*")
            i += 2
        elif body[i] == "*":
            out.append("[^/]*")
            i += 1
        elif body[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(body[i]))
            i += 1
    core = "".join(out)
    prefix = "" if anchored else "(?:.*/)?"
    # A pattern naming a folder covers everything under it; "dir/" only folders.
    suffix = "/.*" if directory_only else "(?:/.*)?"
    if pattern.endswith("/*"):
        suffix = ""  # GitHub: "docs/*" covers docs/a.md but not docs/sub/b.md
    if body == "*" or pattern == "*":
        return re.compile(r".*")
    return re.compile(f"^{prefix}{core}{suffix}$")


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
        rules.append(Rule(pattern, pattern_regex(pattern), owners, number))
    return rules


def owners_for(rules: list[Rule], path: str) -> tuple[Rule | None, tuple[Owner, ...]]:
    """The last rule matching `path` and its owners (none when nothing matches)."""
    for rule in reversed(rules):
        if rule.regex.match(path):
            return rule, rule.owners
    return None, ()
