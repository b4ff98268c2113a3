"""The fake's repository content: git blobs, trees, commits and refs, and contents.

Enough of the Git Data and Contents APIs for a fix stage to read a file and commit a
change on a branch (pull requests are in `tests.fakes.github.pulls`). Blob ids are real
git blob hashes; trees are kept flat (path -> blob) rather than nested, which the REST shapes allow. Answers start
from `Contract.instance` (every field the description requires) with the meaningful
fields filled in, so they pass the contract check.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tests.fakes.github import objects

if TYPE_CHECKING:
    from tests.fakes.github.server import FakeGitHub

Route = tuple[int, dict[str, str], Any]


@dataclass(frozen=True, slots=True)
class Call:
    """One request to a content route: path parameters, query, JSON body, credential kind."""

    params: dict[str, str]
    query: dict[str, str]
    body: Any
    who: str


def _sha(kind: str, data: bytes) -> str:
    return hashlib.sha1(f"{kind} {len(data)}\0".encode() + data).hexdigest()  # noqa: S324 - git ids


class RepoContent:
    """Git objects and refs of the fake repository."""

    def __init__(self, fake: FakeGitHub, files: dict[str, str] | None = None) -> None:
        self.fake = fake
        self.blobs: dict[str, bytes] = {}
        self.trees: dict[str, dict[str, str]] = {}
        self.commits: dict[str, dict[str, Any]] = {}
        self.refs: dict[str, str] = {}
        self.seed(files or {"README.md": "# shop\n"})
        routes = {
            ("GET", "/git/ref/{ref}"): self.get_ref,
            ("POST", "/git/refs"): self.create_ref,
            ("PATCH", "/git/refs/{ref}"): self.update_ref,
            ("POST", "/git/blobs"): self.create_blob,
            ("GET", "/git/blobs/{file_sha}"): self.get_blob,
            ("POST", "/git/trees"): self.create_tree,
            ("GET", "/git/trees/{tree_sha}"): self.get_tree,
            ("POST", "/git/commits"): self.create_commit,
            ("GET", "/git/commits/{commit_sha}"): self.get_commit,
            ("GET", "/contents/{path}"): self.get_contents,
            ("PUT", "/contents/{path}"): self.put_contents,
        }
        for (method, tail), handler in routes.items():
            fake.issues.extra_routes[(method, "/repos/{owner}/{repo}" + tail)] = handler

    # ----- plumbing
    def _error(self, status: int, message: str) -> Exception:
        from tests.fakes.github.server import ApiError

        return ApiError(status, message)

    def seed(self, files: dict[str, str], branch: str = "main") -> str:
        """Commit `files` (path -> text) on `branch`; return the commit sha."""
        entries = {path: self._blob(text.encode()) for path, text in files.items()}
        parent = self.refs.get(f"refs/heads/{branch}")
        if parent:
            entries = {**self.trees[self.commits[parent]["tree"]], **entries}
        commit = self._commit(self._tree(entries), [parent] if parent else [], "seed", "alice")
        self.refs[f"refs/heads/{branch}"] = commit
        return commit

    def file(self, path: str, ref: str = "main") -> str | None:
        """A file's text on `ref` (for assertions)."""
        sha = self._resolve(ref)
        blob = self.trees[self.commits[sha]["tree"]].get(path) if sha else None
        return self.blobs[blob].decode() if blob else None

    def _blob(self, data: bytes) -> str:
        sha = _sha("blob", data)
        self.blobs[sha] = data
        return sha

    def _tree(self, entries: dict[str, str]) -> str:
        sha = _sha("tree", json.dumps(sorted(entries.items())).encode())
        self.trees[sha] = dict(entries)
        return sha

    def _commit(self, tree: str, parents: list[str], message: str, author: str) -> str:
        body = {
            "tree": tree,
            "parents": parents,
            "message": message,
            "author": author,
            "at": time.time(),
        }
        sha = _sha("commit", json.dumps(body).encode())
        self.commits[sha] = body
        return sha

    def _resolve(self, ref: str) -> str | None:
        if ref in self.commits:
            return ref
        return self.refs.get(ref if ref.startswith("refs/") else f"refs/heads/{ref}")

    # ----- JSON shapes
    def _ref_json(self, ref: str) -> dict[str, Any]:
        sha = self.refs[ref]
        return {
            "ref": ref,
            "node_id": objects.node_id("ref", len(ref)),
            "url": f"{self.fake.repo_url}/git/{ref}",
            "object": {
                "type": "commit",
                "sha": sha,
                "url": f"{self.fake.repo_url}/git/commits/{sha}",
            },
        }

    def _commit_json(self, sha: str) -> dict[str, Any]:
        data = self.fake.contract.instance("git-commit")
        commit = self.commits[sha]
        person = {
            "name": commit["author"],
            "email": f"{commit['author']}@example.com",
            "date": objects.iso_seconds(commit["at"]),
        }
        data.update(
            sha=sha,
            url=f"{self.fake.repo_url}/git/commits/{sha}",
            html_url=f"{self.fake.issues.web_repo}/commit/{sha}",
            message=commit["message"],
            author=person,
            committer=person,
            tree={"sha": commit["tree"], "url": f"{self.fake.repo_url}/git/trees/{commit['tree']}"},
            parents=[
                {
                    "sha": p,
                    "url": f"{self.fake.repo_url}/git/commits/{p}",
                    "html_url": f"{self.fake.issues.web_repo}/commit/{p}",
                }
                for p in commit["parents"]
            ],
        )
        return dict(data)

    def _tree_json(self, sha: str) -> dict[str, Any]:
        return {
            "sha": sha,
            "url": f"{self.fake.repo_url}/git/trees/{sha}",
            "truncated": False,
            "tree": [
                {
                    "path": path,
                    "mode": "100644",
                    "type": "blob",
                    "sha": blob,
                    "size": len(self.blobs[blob]),
                    "url": f"{self.fake.repo_url}/git/blobs/{blob}",
                }
                for path, blob in sorted(self.trees[sha].items())
            ],
        }

    def _content_json(self, path: str, blob: str) -> dict[str, Any]:
        url = f"{self.fake.repo_url}/contents/{path}"
        html = f"{self.fake.issues.web_repo}/blob/main/{path}"
        git = f"{self.fake.repo_url}/git/blobs/{blob}"
        data = self.blobs[blob]
        return {
            "type": "file",
            "encoding": "base64",
            "size": len(data),
            "name": path.rsplit("/", 1)[-1],
            "path": path,
            "sha": blob,
            "content": base64.b64encode(data).decode(),
            "url": url,
            "git_url": git,
            "html_url": html,
            "download_url": f"{self.fake.web_url}/raw/{path}",
            "_links": {"self": url, "git": git, "html": html},
        }

    # ----- git data routes
    def get_ref(self, call: Call) -> Route:
        ref = f"refs/{call.params['ref']}"
        if ref not in self.refs:
            raise self._error(404, "Not Found")
        return 200, {}, self._ref_json(ref)

    def create_ref(self, call: Call) -> Route:
        ref, sha = str(call.body["ref"]), str(call.body["sha"])
        if ref in self.refs:
            raise self._error(422, "Reference already exists")
        if sha not in self.commits:
            raise self._error(422, "Object does not exist")
        self.refs[ref] = sha
        return 201, {}, self._ref_json(ref)

    def update_ref(self, call: Call) -> Route:
        ref, sha = f"refs/{call.params['ref']}", str(call.body["sha"])
        if ref not in self.refs or sha not in self.commits:
            raise self._error(422, "Reference does not exist")
        if not call.body.get("force") and self.refs[ref] not in self._ancestors(sha):
            raise self._error(422, "Update is not a fast forward")
        self.refs[ref] = sha
        return 200, {}, self._ref_json(ref)

    def _ancestors(self, sha: str) -> set[str]:
        seen, todo = set(), [sha]
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo.extend(self.commits[current]["parents"])
        return seen

    def create_blob(self, call: Call) -> Route:
        text = str(call.body["content"])
        data = base64.b64decode(text) if call.body.get("encoding") == "base64" else text.encode()
        sha = self._blob(data)
        return 201, {}, {"sha": sha, "url": f"{self.fake.repo_url}/git/blobs/{sha}"}

    def get_blob(self, call: Call) -> Route:
        sha = call.params["file_sha"]
        if sha not in self.blobs:
            raise self._error(404, "Not Found")
        data = self.blobs[sha]
        return (
            200,
            {},
            {
                "sha": sha,
                "node_id": objects.node_id("blob", len(data)),
                "url": f"{self.fake.repo_url}/git/blobs/{sha}",
                "size": len(data),
                "content": base64.b64encode(data).decode(),
                "encoding": "base64",
            },
        )

    def create_tree(self, call: Call) -> Route:
        base = call.body.get("base_tree")
        entries = dict(self.trees.get(base, {})) if base else {}
        for item in call.body["tree"]:
            path = str(item["path"])
            if item.get("sha", "") is None:
                entries.pop(path, None)  # a null sha deletes the path
            elif item.get("content") is not None:
                entries[path] = self._blob(str(item["content"]).encode())
            elif item.get("sha") in self.blobs:
                entries[path] = str(item["sha"])
            else:
                raise self._error(422, f"tree.sha for {path} is not a blob")
        return 201, {}, self._tree_json(self._tree(entries))

    def get_tree(self, call: Call) -> Route:
        sha = call.params["tree_sha"]
        commit = self._resolve(sha)
        tree = self.commits[commit]["tree"] if commit else sha
        if tree not in self.trees:
            raise self._error(404, "Not Found")
        return 200, {}, self._tree_json(tree)

    def create_commit(self, call: Call) -> Route:
        tree, parents = str(call.body["tree"]), [str(p) for p in call.body.get("parents") or []]
        if tree not in self.trees or any(p not in self.commits for p in parents):
            raise self._error(422, "Tree or parent does not exist")
        author = (call.body.get("author") or {}).get("name") or self.fake.issues.login(call.who)
        sha = self._commit(tree, parents, str(call.body["message"]), str(author))
        return 201, {}, self._commit_json(sha)

    def get_commit(self, call: Call) -> Route:
        if call.params["commit_sha"] not in self.commits:
            raise self._error(404, "Not Found")
        return 200, {}, self._commit_json(call.params["commit_sha"])

    # ----- contents
    def get_contents(self, call: Call) -> Route:
        sha = self._resolve(call.query.get("ref", "main"))
        blob = self.trees[self.commits[sha]["tree"]].get(call.params["path"]) if sha else None
        if blob is None:
            raise self._error(404, "Not Found")
        return 200, {}, self._content_json(call.params["path"], blob)

    def put_contents(self, call: Call) -> Route:
        path, branch = call.params["path"], str(call.body.get("branch") or "main")
        ref = f"refs/heads/{branch}"
        if ref not in self.refs:
            raise self._error(404, "Branch not found")
        entries = dict(self.trees[self.commits[self.refs[ref]]["tree"]])
        if path in entries and call.body.get("sha") != entries[path]:
            raise self._error(409, f"{path} does not match the given sha")
        entries[path] = self._blob(base64.b64decode(str(call.body["content"])))
        commit = self._commit(
            self._tree(entries),
            [self.refs[ref]],
            str(call.body["message"]),
            self.fake.issues.login(call.who),
        )
        self.refs[ref] = commit
        status = 200 if call.body.get("sha") else 201
        return (
            status,
            {},
            {
                "content": self._content_json(path, entries[path]),
                "commit": self._commit_json(commit),
            },
        )
