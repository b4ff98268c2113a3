"""CODEOWNERS against the example file on GitHub's "About code owners" page.

The fixture is that page's example, copied as data (origin in tests/fixtures/README.md);
each case below is a claim one of its comments makes about the line under it.
"""

from __future__ import annotations

import pytest

from autotriage.analysis.owners import owners_for, parse_codeowners
from tests.support import fixture_path

EXAMPLE = fixture_path("codeowners", "github_docs_example.CODEOWNERS").read_text()


@pytest.mark.parametrize(
    ("line", "path", "covered"),
    [
        ("*       @global-owner1 @global-owner2", "README.md", True),
        ("*       @global-owner1 @global-owner2", "src/deep/module.py", True),
        ("*.js    @js-owner #This is an inline comment.", "web/app.js", True),
        ("*.js    @js-owner #This is an inline comment.", "web/app.jsx", False),
        ("*.go docs@example.com", "cmd/main.go", True),
        ("*.txt @octo-org/octocats", "notes/todo.txt", True),
        # "any files in the build/logs directory at the root ... and any of its subdirectories"
        ("/build/logs/ @doctocat", "build/logs/today.log", True),
        ("/build/logs/ @doctocat", "build/logs/old/2025.log", True),
        ("/build/logs/ @doctocat", "vendor/build/logs/today.log", False),
        # "will match files like docs/getting-started.md but not further nested files"
        ("docs/*  docs@example.com", "docs/getting-started.md", True),
        ("docs/*  docs@example.com", "docs/build-app/troubleshooting.md", False),
        # "any file in an apps directory anywhere in your repository"
        ("apps/ @octocat", "apps/web/index.html", True),
        ("apps/ @octocat", "services/apps/worker.py", True),
        # "any file in the /docs directory in the root ... and any of its subdirectories"
        ("/docs/ @doctocat", "docs/build-app/troubleshooting.md", True),
        ("/docs/ @doctocat", "site/docs/index.md", False),
        ("/scripts/ @doctocat @octocat", "scripts/deploy.sh", True),
        # "any file in a /logs directory such as /build/logs, /scripts/logs, /deeply/nested/logs"
        ("**/logs @octocat", "build/logs/a.log", True),
        ("**/logs @octocat", "scripts/logs/a.log", True),
        ("**/logs @octocat", "deeply/nested/logs/a.log", True),
        ("**/logs @octocat", "logbook/a.log", False),
    ],
)
def test_each_documented_line_covers_what_its_comment_says(
    line: str, path: str, covered: bool
) -> None:
    assert line in EXAMPLE  # the case quotes the documented file
    rule, _ = owners_for(parse_codeowners(line), path)
    assert (rule is not None) is covered


def test_apps_github_with_no_owners_means_nobody() -> None:
    lines = "/apps/ @octocat\n/apps/github\n"
    assert [o.name for o in owners_for(parse_codeowners(lines), "apps/web/x.py")[1]] == ["@octocat"]
    rule, owners = owners_for(parse_codeowners(lines), "apps/github/readme.md")
    assert rule is not None
    assert rule.pattern == "/apps/github"
    assert owners == ()


@pytest.mark.parametrize(
    ("path", "owners"),
    [
        ("README.md", ["@global-owner1", "@global-owner2"]),
        ("web/app.js", ["@js-owner"]),
        ("cmd/main.go", ["docs@example.com"]),
        ("notes/todo.txt", ["@octo-org/octocats"]),
        ("build/logs/today.log", ["@octocat"]),  # **/logs is later than /build/logs/
        ("docs/getting-started.md", ["@doctocat"]),  # /docs/ is later than docs/*
        ("scripts/deploy.sh", ["@doctocat", "@octocat"]),
        ("apps/web/index.html", ["@octocat"]),
        ("apps/github/readme.md", ["@doctocat"]),  # the file's last line
    ],
)
def test_the_whole_file_last_match_wins(path: str, owners: list[str]) -> None:
    rule, found = owners_for(parse_codeowners(EXAMPLE), path)
    assert rule is not None
    assert [o.name for o in found] == owners
