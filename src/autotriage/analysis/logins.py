"""Commit author -> GitHub login, through the commits API; never guessed from a name.

``GET {GITHUB_API_URL}/repos/{owner}/{repo}/commits/{sha}`` answers with ``author.login``
when GitHub linked the commit's email to an account (``author`` is null otherwise).
Docs: https://docs.github.com/en/rest/commits/commits#get-a-commit
"""

from __future__ import annotations

import threading
from collections.abc import MutableMapping
from dataclasses import dataclass

import httpx
from cachetools import LRUCache

from autotriage.config_sections import AnalysisSettings

TIMEOUT_SECONDS = 5.0
LOGINS_KEPT = 4096
"""Commit authors remembered: a sha comes from an event, so the memory is bounded."""


@dataclass(frozen=True, slots=True)
class LoginLookup:
    """The login GitHub knows for a commit's author, or why there is none."""

    login: str | None
    problem: str | None = None


class LoginResolver:
    """Looks logins up once per commit; needs GITHUB_TOKEN/OWNER/REPO."""

    def __init__(self, settings: AnalysisSettings, client: httpx.Client | None = None) -> None:
        self.settings = settings
        self._client = client
        self._cache: MutableMapping[str, LoginLookup] = LRUCache(LOGINS_KEPT)
        self._lock = threading.Lock()  # cachetools' caches are not thread-safe

    def lookup(self, sha: str) -> LoginLookup:
        """`author.login` of commit `sha`; a problem (never an exception) if unavailable."""
        with self._lock:
            cached = self._cache.get(sha)
        if cached is not None:
            return cached
        result = self._fetch(sha)
        if result.problem is None or "HTTP 404" in result.problem:
            with self._lock:
                self._cache[sha] = result  # transient failures are retried next time
        return result

    def _fetch(self, sha: str) -> LoginLookup:
        s = self.settings
        if not (s.github_token and s.github_owner and s.github_repo):
            return LoginLookup(None, "GitHub is not configured")
        url = f"{s.github_api_url.rstrip('/')}/repos/{s.github_owner}/{s.github_repo}/commits/{sha}"
        headers = {
            "Authorization": f"Bearer {s.github_token.get_secret_value()}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
        }
        client = self._client or httpx.Client(timeout=TIMEOUT_SECONDS)
        try:
            response = client.get(url, headers=headers)
        except httpx.HTTPError as exc:
            return LoginLookup(None, f"GitHub commits API unreachable ({type(exc).__name__})")
        finally:
            if self._client is None:
                client.close()
        if response.status_code != 200:
            return LoginLookup(None, f"GitHub commits API answered HTTP {response.status_code}")
        try:
            author = response.json().get("author")
        except ValueError:
            return LoginLookup(None, "GitHub commits API answered with invalid JSON")
        login = author.get("login") if isinstance(author, dict) else None
        if not isinstance(login, str) or not login:
            return LoginLookup(None, "GitHub does not link this commit's author to an account")
        return LoginLookup(login)
