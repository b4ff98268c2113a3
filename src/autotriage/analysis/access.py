"""Repository access: an existing checkout (``REPO_PATH``) or a mirror of the GitHub repository.

Mirrors are bare, blobless partial clones (``--filter=blob:none``) kept under
``AUTOTRIAGE_REPO_CACHE_DIR``: the history and trees arrive at once, file contents on
demand when analysis reads or blames them. They are fetched when older than
``REPO_FETCH_INTERVAL_SECONDS``, and again when an event names a release the mirror does
not know yet (see `Repository.resolve` callers). The token travels only in the git
child's environment (`autotriage.analysis.git.auth_env`) and only to the configured host.
"""

from __future__ import annotations

import fcntl
import hashlib
import re
import shutil
import time
from pathlib import Path
from urllib.parse import urlsplit

from autotriage.analysis.git import run_git
from autotriage.analysis.repo import Repository, github_web_url
from autotriage.config_sections import AnalysisSettings
from autotriage.errors import GitError

_STAMP = "autotriage-fetched"
# Never ext:: or other transports that run commands.
_ALLOWED_SCHEMES = ("https://", "http://", "ssh://", "file://", "git@")
# A first clone of a large repository takes minutes, even blobless.
NETWORK_TIMEOUT_SECONDS = 900.0
_URL = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git@)", re.IGNORECASE)


def is_url(location: str) -> bool:
    """True for a clone URL (``https://``, ``file://``, ``git@host:``), false for a path."""
    return bool(_URL.match(location))


def git_base_url(settings: AnalysisSettings) -> str:
    """Where the configured GitHub serves git: ``GITHUB_GIT_URL`` or derived from the API URL."""
    if settings.github_git_url:
        return settings.github_git_url.rstrip("/")
    api = settings.github_api_url.rstrip("/")
    if api == "https://api.github.com":
        return "https://github.com"
    return api.removesuffix("/api/v3")


def configured_url(settings: AnalysisSettings) -> str | None:
    """The clone URL of ``GITHUB_OWNER/GITHUB_REPO``, when both are set."""
    if not (settings.github_owner and settings.github_repo):
        return None
    return f"{git_base_url(settings)}/{settings.github_owner}/{settings.github_repo}.git"


def _token_for(url: str, settings: AnalysisSettings) -> str | None:
    """The token, but only for the configured git host: never hand it to another server."""
    if settings.github_token is None:
        return None
    ours = urlsplit(git_base_url(settings))
    theirs = urlsplit(url)
    same = (ours.scheme, ours.netloc) == (theirs.scheme, theirs.netloc)
    return settings.github_token.get_secret_value() if same else None


def _web_url(url: str, settings: AnalysisSettings) -> str | None:
    if settings.github_owner and settings.github_repo and url == configured_url(settings):
        return f"{git_base_url(settings)}/{settings.github_owner}/{settings.github_repo}"
    found = github_web_url(url)
    return found if found and found.startswith("https://github.com/") else None


def mirror_dir(cache_dir: Path, url: str) -> Path:
    """The mirror's folder: a readable name plus a hash of the URL."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", url.rstrip("/").rsplit("/", 1)[-1])[:40]
    digest = hashlib.sha256(url.encode()).hexdigest()[:12]
    return cache_dir / f"{name}-{digest}"


def _fetch(git_dir: Path, url: str, token: str | None) -> None:
    run_git(
        [
            "fetch",
            "--quiet",
            "--prune",
            "--tags",
            "--filter=blob:none",
            url,
            "+refs/heads/*:refs/heads/*",
        ],
        git_dir=git_dir,
        token=token,
        timeout=NETWORK_TIMEOUT_SECONDS,
    )
    (git_dir / _STAMP).touch()


def mirror(url: str, cache_dir: Path, *, token: str | None, max_age: float) -> Path:
    """Clone `url` into the cache (or fetch it when older than `max_age` seconds)."""
    if urlsplit(url).username or urlsplit(url).password:
        raise GitError("the repository URL must not carry credentials; set GITHUB_TOKEN")
    if not url.startswith(_ALLOWED_SCHEMES):
        raise GitError("the repository URL must use https://, http://, ssh://, file:// or git@")
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = mirror_dir(cache_dir, url)
    lock_path = target.with_suffix(".lock")
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one clone/fetch per mirror across workers
        if (target / "HEAD").exists():
            stamp = target / _STAMP
            age = time.time() - stamp.stat().st_mtime if stamp.exists() else float("inf")
            if age > max_age:
                _fetch(target, url, token)
            return target
        partial = target.with_name(target.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        run_git(
            ["clone", "--quiet", "--bare", "--filter=blob:none", "--", url, str(partial)],
            token=token,
            timeout=NETWORK_TIMEOUT_SECONDS,
        )
        (partial / _STAMP).touch()
        partial.rename(target)
    return target


def refresh(repo: Repository, url: str, token: str | None, min_interval: float = 30.0) -> bool:
    """Fetch a mirror now (an event named a release it lacks); False if fetched just now."""
    stamp = repo.git_dir / _STAMP
    if stamp.exists() and time.time() - stamp.stat().st_mtime < min_interval:
        return False
    with repo.git_dir.with_suffix(".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _fetch(repo.git_dir, url, token)
    return True


class RepoAccess:
    """How to reach the repository: a local path, or a URL mirrored into the cache."""

    def __init__(self, settings: AnalysisSettings, location: str | None = None) -> None:
        self.settings = settings
        self.url: str | None = None
        self.path: Path | None = None
        self.token: str | None = None
        if location is not None:
            if is_url(location):
                self.url = location
            else:
                self.path = Path(location).expanduser()
        elif settings.repo_path:
            self.path = Path(settings.repo_path).expanduser()
        else:
            self.url = configured_url(settings)
        if self.url is not None:
            self.token = _token_for(self.url, settings)

    @property
    def configured(self) -> bool:
        """False when neither a path nor a GitHub repository is known."""
        return self.url is not None or self.path is not None

    @property
    def key(self) -> str:
        """Identifies the repository, and what decides its permalinks, in caches."""
        s = self.settings
        return f"{self.url or self.path}|{s.github_owner}/{s.github_repo}|{git_base_url(s)}"

    def open(self) -> Repository:
        """The repository, cloned or fetched first when it is a mirror; `GitError` on failure."""
        if self.path is not None:
            web = None
            if self.settings.github_owner and self.settings.github_repo:
                web = _web_url(configured_url(self.settings) or "", self.settings)
            return Repository.open(self.path, web_url=web)
        if self.url is None:
            raise GitError("no repository configured: set REPO_PATH or GITHUB_OWNER/GITHUB_REPO")
        git_dir = mirror(
            self.url,
            Path(self.settings.repo_cache_dir),
            token=self.token,
            max_age=self.settings.repo_fetch_interval_seconds,
        )
        return Repository(git_dir, token=self.token, web_url=_web_url(self.url, self.settings))

    def refresh(self, repo: Repository) -> bool:
        """Fetch a mirror now; False for a local checkout (we never fetch those)."""
        if self.url is None:
            return False
        # At most every 30 s (or the schedule's interval if shorter): unknown releases
        # must not turn into a fetch per event.
        interval = min(30.0, self.settings.repo_fetch_interval_seconds)
        return refresh(repo, self.url, self.token, min_interval=interval)


def sync_mirror(settings: AnalysisSettings) -> str | None:
    """Clone or fetch the configured GitHub mirror now (for a scheduler); returns HEAD.

    None when no mirror is configured (``REPO_PATH`` set, or no GitHub repository).
    Raises `GitError` (credential-free) when the clone or fetch fails.
    """
    access = RepoAccess(settings)
    if access.url is None:
        return None
    repo = access.open()
    access.refresh(repo)
    return repo.head()
