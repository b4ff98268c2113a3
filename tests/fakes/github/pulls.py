"""The fake's pull requests: create, list (by head), get, labels, reviewers, and a merge.

Branches live in the fake's REST content (`tests.fakes.github.repo`) or, after
`use_git(path)`, in a real bare git repository on disk: the push target of the fix stage
(``GITHUB_GIT_URL=file://...``), so a PR's head is exactly what was pushed. Numbers are
shared with issues, as on GitHub. `merge(number)` is what a person pressing "Merge" does:
a merge commit on the base branch, and every issue the body says it ``Fixes`` closed by
that commit (with the ``issues`` webhook, when one is configured).
"""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.fakes.github import objects
from tests.fakes.github.repo import Call, Route

if TYPE_CHECKING:
    from tests.fakes.github.server import FakeGitHub

_FIXES = re.compile(r"(?i)\b(?:fix(?:es|ed)?|close[sd]?|resolve[sd]?)\s+#(\d+)")
_GIT_ENV = {
    "GIT_AUTHOR_NAME": "alice",
    "GIT_AUTHOR_EMAIL": "alice@example.com",
    "GIT_COMMITTER_NAME": "GitHub",
    "GIT_COMMITTER_EMAIL": "noreply@github.com",
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "HOME": "/nonexistent",
}


class PullRoutes:
    """Pull requests of the fake repository."""

    def __init__(self, fake: FakeGitHub) -> None:
        self.fake = fake
        self.pulls: dict[int, dict[str, Any]] = {}
        self.git_dir: Path | None = None
        routes = {
            ("GET", "/pulls"): self.list_pulls,
            ("POST", "/pulls"): self.create_pull,
            ("GET", "/pulls/{pull_number}"): self.get_pull,
            ("POST", "/pulls/{pull_number}/requested_reviewers"): self.request_reviewers,
            ("POST", "/issues/{issue_number}/labels"): self.add_labels,
        }
        for (method, tail), handler in routes.items():
            fake.issues.extra_routes[(method, "/repos/{owner}/{repo}" + tail)] = handler

    def use_git(self, git_dir: Path) -> None:
        """Take branches from the bare repository at `git_dir` (the push target)."""
        self.git_dir = git_dir

    # ----- plumbing
    def _error(self, status: int, message: str, **extra: Any) -> Exception:
        from tests.fakes.github.server import ApiError

        return ApiError(status, message, **extra)

    def _git(self, *args: str) -> str:
        assert self.git_dir is not None
        done = subprocess.run(
            ["git", "--git-dir", str(self.git_dir), *args],
            capture_output=True,
            text=True,
            check=False,
            env=_GIT_ENV,
        )
        return done.stdout.strip() if done.returncode == 0 else ""

    def branch_sha(self, branch: str) -> str | None:
        """The tip of `branch`, from the bare repository when one is used."""
        if self.git_dir is not None:
            return self._git("rev-parse", "--verify", "--quiet", f"refs/heads/{branch}") or None
        return self.fake.content.refs.get(f"refs/heads/{branch}")

    def _pull_json(self, number: int, simple: bool = False) -> dict[str, Any]:
        pull = self.pulls[number]
        data = self.fake.contract.instance("pull-request-simple" if simple else "pull-request")
        repo = self.fake.contract.instance("repository")
        repo.update(name=self.fake.repo, full_name=f"{self.fake.owner}/{self.fake.repo}")
        user = self.fake.issues.user(pull["author"])
        data.update(
            number=number,
            id=20_000 + number,
            title=pull["title"],
            body=pull["body"],
            state=pull["state"],
            url=f"{self.fake.repo_url}/pulls/{number}",
            html_url=f"{self.fake.issues.web_repo}/pull/{number}",
            issue_url=f"{self.fake.repo_url}/issues/{number}",
            user=user,
            draft=pull["draft"],
            labels=[self.fake.issues._label(name) for name in pull["labels"]],
            requested_reviewers=[self.fake.issues.user(login) for login in pull["reviewers"]],
            merged_at=objects.iso_seconds(pull["merged_at"]) if pull["merged_at"] else None,
            created_at=objects.iso_seconds(pull["at"]),
            updated_at=objects.iso_seconds(pull["at"]),
        )
        for side in ("head", "base"):
            data[side] = {
                "label": f"{self.fake.owner}:{pull[side]}",
                "ref": pull[side],
                "sha": self.branch_sha(pull[side]) or pull.get(f"{side}_sha") or "",
                "user": user,
                "repo": repo,
            }
        if not simple:
            data["merged"] = bool(pull["merged_at"])
        return dict(data)

    def _number(self, call: Call, key: str = "pull_number") -> int:
        number = int(call.params[key])
        if number not in self.pulls:
            raise self._error(404, "Not Found")
        return number

    # ----- routes
    def list_pulls(self, call: Call) -> Route:
        state = call.query.get("state", "open")
        head = call.query.get("head")
        rows = [
            n
            for n, p in sorted(self.pulls.items())
            if state in ("all", p["state"])
            and (head is None or head == f"{self.fake.owner}:{p['head']}")
        ]
        return 200, {}, [self._pull_json(n, simple=True) for n in rows]

    def create_pull(self, call: Call) -> Route:
        head, base = str(call.body["head"]).split(":")[-1], str(call.body["base"])
        if self.branch_sha(head) is None or self.branch_sha(base) is None:
            raise self._error(422, "Validation Failed")
        if any(p["head"] == head and p["state"] == "open" for p in self.pulls.values()):
            raise self._error(422, f"A pull request already exists for {self.fake.owner}:{head}.")
        number = self.fake.issues.next_number  # pulls and issues share numbers, as on GitHub
        self.fake.issues.next_number += 1
        self.pulls[number] = {
            "title": str(call.body.get("title") or head),
            "body": call.body.get("body"),
            "head": head,
            "base": base,
            "state": "open",
            "draft": bool(call.body.get("draft")),
            "at": time.time(),
            "author": self.fake.issues.login(call.who),
            "labels": [],
            "reviewers": [],
            "merged_at": None,
        }
        return 201, {}, self._pull_json(number)

    def get_pull(self, call: Call) -> Route:
        return 200, {}, self._pull_json(self._number(call))

    def request_reviewers(self, call: Call) -> Route:
        number = self._number(call)
        logins = [str(x) for x in (call.body or {}).get("reviewers") or []]
        pull = self.pulls[number]
        if any(x not in self.fake.collaborators or x == pull["author"] for x in logins):
            raise self._error(422, "Reviews may only be requested from collaborators.")
        pull["reviewers"] = sorted({*pull["reviewers"], *logins})
        return 201, {}, self._pull_json(number, simple=True)

    def add_labels(self, call: Call) -> Route:
        number = int(call.params["issue_number"])
        body = call.body if isinstance(call.body, dict) else {"labels": call.body or []}
        names = [str(x if isinstance(x, str) else x.get("name")) for x in body.get("labels", [])]
        if number in self.pulls:
            target = self.pulls[number]["labels"]
        elif number in self.fake.issues.items:
            target = self.fake.issues.items[number].labels
        else:
            raise self._error(404, "Not Found")
        for name in names:
            label = self.fake.issues._label(name)["name"]
            if label not in target:
                target.append(label)
        return 200, {}, [self.fake.issues._label(n) for n in target]

    # ----- what a person does
    def merge(self, number: int, login: str = "alice") -> str:
        """Merge PR `number` into its base (bare repository) and close the issues it fixes."""
        with self.fake.lock:
            pull = self.pulls[number]
            base, head = self.branch_sha(pull["base"]), self.branch_sha(pull["head"])
            assert base and head and self.git_dir is not None
            tree = self._git("rev-parse", f"{head}^{{tree}}")
            merged = self._git(
                "commit-tree", tree, "-p", base, "-p", head, "-m", f"Merge pull request #{number}"
            )
            self._git("update-ref", f"refs/heads/{pull['base']}", merged, base)
            pull.update(state="closed", merged_at=time.time())
            fixes = [int(n) for n in _FIXES.findall(str(pull["body"] or ""))]
        for issue in fixes:
            if issue in self.fake.issues.items:
                self.fake.person_sets_state(
                    issue, "closed", "completed", commit=merged, login=login
                )
        return merged
