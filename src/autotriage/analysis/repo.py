"""Read a git repository at a commit: refs, the file list, file text and blame.

Everything goes through `git` in a subprocess (see `autotriage.analysis.git`), against a
checkout or a bare (possibly blobless) mirror alike; a mirror fetches missing blobs on
demand with the token in the child's environment only.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from autotriage.analysis.git import git_text, run_git
from autotriage.errors import GitError

_HEX = re.compile(r"^[0-9a-f]{7,40}$")
_SHA_IN_RELEASE = re.compile(r"(?<![0-9a-zA-Z])([0-9a-f]{7,40})(?![0-9a-zA-Z])")
_VERSION_IN_RELEASE = re.compile(r"(?<![0-9])v?(\d+(?:\.\d+)+(?:[-+][0-9A-Za-z.-]+)?)")
_FILE_CACHE_SIZE = 256
_REMOTE = re.compile(
    r"^(?:https?://(?:[^@/]+@)?([^/]+)/|git@([^:]+):)([^/]+)/([^/]+?)(?:\.git)?/?$"
)


@dataclass(frozen=True, slots=True)
class BlameLine:
    """Who last changed one line, as `git blame` says at a commit."""

    sha: str
    author_name: str
    author_email: str
    authored_at: datetime
    summary: str
    boundary: bool = False
    """True when blame stopped at the first commit (the line is as old as the history)."""


@dataclass(frozen=True, slots=True)
class ResolvedRef:
    """The commit an analysis reads, and how it was chosen (for the reasons)."""

    sha: str
    exact: bool
    """True when the release (or an explicit ref) named this commit."""
    how: str


class Repository:
    """A git repository (checkout or bare mirror) read at explicit commits."""

    def __init__(self, git_dir: Path, *, token: str | None = None, web_url: str | None = None):
        self.git_dir = git_dir
        self.token = token
        self.web_url = web_url.rstrip("/") if web_url else None
        """``https://github.com/owner/repo`` when known, for permalinks."""
        self._files: OrderedDict[tuple[str, str], list[str] | None] = OrderedDict()

    @classmethod
    def open(
        cls, path: Path, *, token: str | None = None, web_url: str | None = None
    ) -> Repository:
        """Open the repository at `path` (a work tree or a bare repository); `GitError` if none."""
        if not path.exists():
            raise GitError(f"repository path {path} does not exist")
        done = run_git(["rev-parse", "--absolute-git-dir"], cwd=path, check=False)
        if done.returncode != 0:
            raise GitError(f"{path} is not a git repository")
        git_dir = Path(done.stdout.decode().strip())
        repo = cls(git_dir, token=token, web_url=web_url)
        if repo.web_url is None:
            repo.web_url = repo._github_origin()
        return repo

    def _git(self, *args: str) -> str:
        return git_text(args, git_dir=self.git_dir, token=self.token)

    def _github_origin(self) -> str | None:
        done = run_git(["remote", "get-url", "origin"], git_dir=self.git_dir, check=False)
        url = github_web_url(done.stdout.decode()) if done.returncode == 0 else None
        # Only github.com is certain to serve /blob/ permalinks; others come from settings.
        return url if url and url.startswith("https://github.com/") else None

    def rev_parse(self, ref: str) -> str | None:
        """The commit `ref` names, or None."""
        if not ref or ref.startswith("-"):
            return None  # never let a release string become an option
        done = run_git(
            ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"],
            git_dir=self.git_dir,
            check=False,
        )
        sha = done.stdout.decode().strip()
        return sha if done.returncode == 0 and sha else None

    def head(self) -> str | None:
        """The default branch's commit (HEAD), or None in an empty repository."""
        return self.rev_parse("HEAD")

    def resolve(
        self, release: str | None, *, ref: str | None = None, pattern: str | None = None
    ) -> ResolvedRef | None:
        """The commit to analyse: `ref` if given, else the release's, else the default branch."""
        if ref:
            sha = self.rev_parse(ref)
            return ResolvedRef(sha, True, f"ref {ref}") if sha else None
        for candidate in release_candidates(release, pattern):
            sha = self.rev_parse(candidate)
            if sha:
                return ResolvedRef(sha, True, f"release {release} resolved via {candidate}")
        head = self.head()
        if head is None:
            return None
        how = (
            f"release {release} not found in the repository; analysed the default branch"
            if release
            else "event has no release; analysed the default branch"
        )
        return ResolvedRef(head, False, how)

    def commit_time(self, sha: str) -> datetime:
        """The commit's committer date."""
        return datetime.fromtimestamp(int(self._git("show", "-s", "--format=%ct", sha)), UTC)

    def list_files(self, sha: str) -> list[str]:
        """Every file path in the tree of commit `sha`."""
        out = run_git(
            ["ls-tree", "-r", "-z", "--name-only", "--full-tree", sha], git_dir=self.git_dir
        ).stdout
        return [p.decode("utf-8", "surrogateescape") for p in out.split(b"\0") if p]

    def read_lines(self, sha: str, path: str) -> list[str] | None:
        """The lines of `path` at `sha` (without newlines), or None if absent or binary."""
        key = (sha, path)
        if key in self._files:
            self._files.move_to_end(key)
            return self._files[key]
        done = run_git(
            ["cat-file", "blob", f"{sha}:{path}"],
            git_dir=self.git_dir,
            token=self.token,
            check=False,
        )
        lines = None
        if done.returncode == 0 and b"\0" not in done.stdout[:8000]:
            lines = done.stdout.decode("utf-8", "replace").splitlines()
        self._files[key] = lines
        if len(self._files) > _FILE_CACHE_SIZE:
            self._files.popitem(last=False)
        return lines

    def blame(
        self, sha: str, path: str, line: int, *, ignore_revs: Path | None = None
    ) -> BlameLine | None:
        """Who last changed `line` of `path` as of `sha`; None if the line is not there.

        `ignore_revs` is a ``.git-blame-ignore-revs`` file: commits listed there (mass
        reformatting) are skipped, as GitHub's blame view does.
        """
        # -w: a re-indented line (moved into a try block, reformatted) keeps the
        # commit that wrote its code, as GitHub's "ignore whitespace" blame does.
        args = ["blame", "-w", "--porcelain", "-L", f"{line},{line}"]
        if ignore_revs is not None:
            args += ["--ignore-revs-file", str(ignore_revs)]
        done = run_git(
            [*args, sha, "--", path],
            git_dir=self.git_dir,
            token=self.token,
            check=False,
        )
        if done.returncode != 0:
            return None
        return parse_blame(done.stdout.decode("utf-8", "replace"))


def parse_blame(porcelain: str) -> BlameLine | None:
    """The first entry of ``git blame --porcelain`` output."""
    lines = porcelain.splitlines()
    if not lines or not _HEX.match(lines[0].split(" ", 1)[0]):
        return None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line.startswith("\t"):
            break
        key, _, value = line.partition(" ")
        headers[key] = value
    try:
        authored = datetime.fromtimestamp(int(headers.get("author-time", "0")), UTC)
    except ValueError:
        authored = datetime.fromtimestamp(0, UTC)
    return BlameLine(
        sha=lines[0].split(" ", 1)[0],
        author_name=headers.get("author", ""),
        author_email=headers.get("author-mail", "").strip("<>"),
        authored_at=authored,
        summary=headers.get("summary", ""),
        boundary="boundary" in headers,
    )


def release_candidates(release: str | None, pattern: str | None) -> list[str]:
    """Refs a release string may name, most specific first.

    ``pattern`` (``RELEASE_REF_PATTERN``) may use ``{release}`` and ``{version}``, e.g.
    ``v{version}`` or ``releases/{release}``. Sentry-style ``package@1.2.3`` releases and
    releases embedding a commit SHA (``1.2.3+4f3c2a1``) are understood without one.
    """
    if not release:
        return []
    release = release.strip()
    version_match = _VERSION_IN_RELEASE.search(release.rsplit("@", 1)[-1])
    version = version_match.group(1) if version_match else release.rsplit("@", 1)[-1]
    out: list[str] = []
    if pattern:
        out.append(pattern.replace("{release}", release).replace("{version}", version))
    out += [release, release.rsplit("@", 1)[-1], f"v{version}", version]
    out += [m.group(1) for m in _SHA_IN_RELEASE.finditer(release.lower())]
    return [c for c in dict.fromkeys(out) if c]


def github_web_url(remote: str) -> str | None:
    """``https://host/owner/repo`` for a GitHub-style HTTPS or SSH remote, else None."""
    remote = remote.strip()
    match = _REMOTE.match(remote)
    if not match:
        return None
    host = match.group(1) or match.group(2)
    return f"https://{host}/{match.group(3)}/{match.group(4)}"
