"""The fake's repository content through githubkit: read a file, commit on a branch, open a PR.

Every call is checked against GitHub's OpenAPI description by the fake (the fixture
fails the test on any violation), so a fix stage written against the fake talks the
real API's shapes.
"""

from __future__ import annotations

import base64

from githubkit import GitHub

from tests.fakes.github import FakeGitHub


def test_read_commit_and_open_a_pull_request(fake_github: FakeGitHub) -> None:
    fake_github.content.seed({"app/pricing.py": "def total(a, b):\n    return a / b\n"})
    gh = GitHub(
        fake_github.token, base_url=fake_github.url + "/", http_cache=False, auto_retry=False
    )
    repo = ("acme", "shop")
    page = gh.rest.repos.get_content(*repo, "app/pricing.py").json()
    assert base64.b64decode(page["content"]).decode().endswith("return a / b\n")
    main = gh.rest.git.get_ref(*repo, "heads/main").json()["object"]["sha"]
    base_tree = gh.rest.git.get_commit(*repo, main).json()["tree"]["sha"]
    blob = gh.rest.git.create_blob(
        *repo,
        data={"content": "def total(a, b):\n    return a / b if b else 0\n", "encoding": "utf-8"},
    ).json()["sha"]
    tree = gh.rest.git.create_tree(
        *repo,
        data={
            "base_tree": base_tree,
            "tree": [{"path": "app/pricing.py", "mode": "100644", "type": "blob", "sha": blob}],
        },
    ).json()["sha"]
    commit = gh.rest.git.create_commit(
        *repo, data={"message": "Guard division", "tree": tree, "parents": [main]}
    ).json()["sha"]
    gh.rest.git.create_ref(*repo, data={"ref": "refs/heads/autotriage/fix-1", "sha": commit})
    pull = gh.rest.pulls.create(
        *repo,
        data={
            "title": "Guard division",
            "head": "autotriage/fix-1",
            "base": "main",
            "body": "Fixes #1",
        },
    ).json()
    assert pull["number"] == 1 and pull["head"]["ref"] == "autotriage/fix-1"
    assert [p["number"] for p in gh.rest.pulls.list(*repo).json()] == [1]
    assert fake_github.content.file("app/pricing.py", "autotriage/fix-1").endswith("else 0\n")
    assert fake_github.content.file("app/pricing.py", "main").endswith("a / b\n")
    put = gh.rest.repos.create_or_update_file_contents(
        *repo,
        "docs/x.md",
        data={"message": "docs", "content": base64.b64encode(b"hi").decode(), "branch": "main"},
    )
    assert put.status_code == 201
    assert fake_github.content.file("docs/x.md") == "hi"
