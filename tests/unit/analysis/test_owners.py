"""CODEOWNERS read the way GitHub documents it (examples from its docs page)."""

from __future__ import annotations

import pytest

from autotriage.analysis.owners import owner_kind, owners_for, parse_codeowners

GITHUB_EXAMPLE = """
# This is a comment.
*       @global-owner1 @global-owner2
*.js    @js-owner #This is an inline comment.
*.go docs@example.com
*.txt @octo-org/octocats
/build/logs/ @doctocat
docs/*  docs@example.com
apps/ @octocat
/docs/ @doctocat
/scripts/ @doctocat @octocat
**/logs @octocat
/apps/ @octocat
/apps/github
/apps/github2/ @octocat
!negated @nobody
"""


@pytest.mark.parametrize(
    ("path", "owners"),
    [
        ("README.md", ["@global-owner1", "@global-owner2"]),
        ("src/app.js", ["@js-owner"]),
        ("main.go", ["docs@example.com"]),
        ("notes/a.txt", ["@octo-org/octocats"]),
        ("build/logs/x.log", ["@octocat"]),  # **/logs comes later and wins
        ("docs/getting-started.md", ["@doctocat"]),
        ("docs/build-app/troubleshooting.md", ["@doctocat"]),
        ("scripts/deploy.sh", ["@doctocat", "@octocat"]),
        ("deep/down/logs/today.txt", ["@octocat"]),
        ("apps/web/index.html", ["@octocat"]),
        ("apps/github/readme.md", []),  # a matching line without owners: nobody
        ("apps/github2/x.py", ["@octocat"]),
        ("negated", ["@global-owner1", "@global-owner2"]),  # "!" lines are ignored
    ],
)
def test_github_documentation_examples(path: str, owners: list[str]) -> None:
    rules = parse_codeowners(GITHUB_EXAMPLE)
    rule, found = owners_for(rules, path)
    assert rule is not None
    assert [o.name for o in found] == owners


def test_docs_star_covers_direct_children_only() -> None:
    rules = parse_codeowners("docs/*  @writers\n")
    assert owners_for(rules, "docs/a.md")[1]
    assert owners_for(rules, "docs/sub/b.md") == (None, ())
    assert owners_for(rules, "x/docs/a.md") == (None, ())


def test_unanchored_directory_matches_at_any_depth() -> None:
    rules = parse_codeowners("src/main/ @main\n**/billing/ @ivan\n")
    invoice = owners_for(rules, "src/main/java/com/acme/billing/Invoice.java")[1]
    assert [o.name for o in invoice] == ["@ivan"]
    assert [o.name for o in owners_for(rules, "src/main/java/App.java")[1]] == ["@main"]
    assert owners_for(rules, "lib/src/main/x.c") == (None, ())


@pytest.mark.parametrize(
    ("name", "kind"),
    [("@alice", "user"), ("@acme/web", "team"), ("dev@example.com", "email"), ("alice", None)],
)
def test_owner_kinds(name: str, kind: str | None) -> None:
    assert owner_kind(name) == kind


def test_malformed_owner_tokens_are_dropped_and_escaped_hash_kept() -> None:
    rules = parse_codeowners("\\#notes.md @alice not-an-owner\n")
    rule, owners = owners_for(rules, "#notes.md")
    assert rule is not None
    assert rule.line == 1
    assert [(o.name, o.kind) for o in owners] == [("@alice", "user")]
