"""The analysis stage: map the trace onto the repository and say who and what is to blame.

`Analyzer(settings.analysis).analyze(event)` is what the worker calls (through the
outbox) for each new group; `build_services` builds the one analyzer. It never raises
for a bad trace or repository: every failure becomes a reason and the result still
carries what the trace alone says. Results are cached per group (fingerprint) and
commit; file indexes and CODEOWNERS per commit.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import MutableMapping
from pathlib import Path

import httpx
from cachetools import LRUCache

from autotriage.analysis import confidence as weights
from autotriage.analysis.access import RepoAccess
from autotriage.analysis.confidence import Confidence
from autotriage.analysis.culprit import (
    Located,
    add_frame_code,
    choose_culprit,
    frame_dict,
    frame_key,
    read_culprit,
    trace_only,
)
from autotriage.analysis.index import FileIndex
from autotriage.analysis.logins import LoginResolver
from autotriage.analysis.mapping import FrameMapping, map_frame
from autotriage.analysis.owners import LOCATIONS, Rule, owners_for, parse_codeowners
from autotriage.analysis.repo import Repository, ResolvedRef
from autotriage.analysis.result import Analysis, SuspectCommit
from autotriage.analysis.suspect import IGNORE_REVS_FILE, blame_suspect, ignore_revs_file
from autotriage.config_sections import AnalysisSettings
from autotriage.errors import GitError
from autotriage.models import ErrorEvent
from autotriage.understanding.fingerprint import compute_fingerprint, grouping_config

log = logging.getLogger(__name__)

_CACHE_SIZE = 512
_INDEX_CACHE_SIZE = 4


class Analyzer:
    """Holds the caches; one per process is enough (see `analyze`)."""

    def __init__(
        self, settings: AnalysisSettings, login_client: httpx.Client | None = None
    ) -> None:
        self.settings = settings
        # Least recently used dropped first; `_lock` below guards them (cachetools' are not).
        self._results: MutableMapping[str, Analysis] = LRUCache(_CACHE_SIZE)
        self._indexes: MutableMapping[tuple[str, str], FileIndex] = LRUCache(_INDEX_CACHE_SIZE)
        self._owners: MutableMapping[tuple[str, str], tuple[str | None, list[Rule]]] = LRUCache(
            _INDEX_CACHE_SIZE * 4
        )
        self._repos: dict[str, Repository] = {}
        self._logins: dict[tuple[str, str | None, str | None], LoginResolver] = {}
        # Worker threads may share this analyzer: one analysis at a time keeps the caches
        # (and each repository's file cache) consistent; clones are serialized anyway.
        self._lock = threading.RLock()
        self._login_client = login_client

    # --- caches
    def index(self, repo: Repository, sha: str) -> FileIndex:
        """The file index of commit `sha` (built once, the last few kept)."""
        key = (str(repo.git_dir), sha)
        found = self._indexes.get(key)
        if found is None:
            found = self._indexes[key] = FileIndex(repo.list_files(sha))
        return found

    def codeowners(
        self, repo: Repository, sha: str, index: FileIndex
    ) -> tuple[str | None, list[Rule]]:
        """The CODEOWNERS file GitHub would use at `sha`, parsed (cached per commit)."""
        key = (str(repo.git_dir), sha)
        found = self._owners.get(key)
        if found is None:
            found = (None, [])
            for location in LOCATIONS:
                if location in index:
                    lines = repo.read_lines(sha, location) or []
                    found = (location, parse_codeowners("\n".join(lines)))
                    break
            self._owners[key] = found
        return found

    def _repository(self, access: RepoAccess) -> Repository:
        repo = self._repos.get(access.key)
        if repo is None or access.url is not None:
            repo = access.open()  # mirrors: open() also fetches when stale
            self._repos[access.key] = repo
        return repo

    # --- the analysis
    def analyze(
        self, event: ErrorEvent, *, location: str | None = None, ref: str | None = None
    ) -> Analysis:
        """Analyse `event` against the configured repository (or `location`, at `ref`)."""
        with self._lock:
            return self._analyze(event, self.settings, location=location, ref=ref)

    def _analyze(
        self,
        event: ErrorEvent,
        settings: AnalysisSettings,
        *,
        location: str | None,
        ref: str | None,
    ) -> Analysis:
        # The group's own hash, as the pipeline and `replay` compute it.
        fingerprint = compute_fingerprint(event, grouping_config(settings)).primary
        if not any(exc.frames for exc in event.exceptions):
            return trace_only(event, [], fingerprint)
        access = RepoAccess(settings, location)
        if not access.configured:
            return trace_only(
                event,
                ["no repository configured (REPO_PATH or GITHUB_OWNER/GITHUB_REPO)"],
                fingerprint,
            )
        try:
            repo = self._repository(access)
            resolved = repo.resolve(event.release, ref=ref, pattern=settings.release_ref_pattern)
            stale = resolved is not None and not resolved.exact and event.release and not ref
            # The release may be newer than the mirror: fetch once and try again.
            if stale and access.refresh(repo):
                resolved = repo.resolve(event.release, pattern=settings.release_ref_pattern)
        except (GitError, OSError) as exc:
            log.warning("analysis: repository unavailable: %s", exc)  # already credential-free
            return trace_only(event, [f"repository unavailable: {exc}"], fingerprint)
        if resolved is None:
            why = f"ref {ref} not found in the repository" if ref else "the repository is empty"
            return trace_only(event, [why], fingerprint)
        key = self._cache_key(event, access, settings, fingerprint, resolved, ref)
        cached = self._results.get(key)
        if cached is not None:
            return cached.model_copy(deep=True)
        try:
            result = self._analyze_at(event, settings, repo, resolved, fingerprint)
        except (GitError, OSError, UnicodeError) as exc:
            log.warning("analysis: repository read failed: %s", exc)
            return trace_only(event, [f"repository read failed: {exc}"], fingerprint)
        self._results[key] = result
        return result.model_copy(deep=True)

    @staticmethod
    def _cache_key(
        event: ErrorEvent,
        access: RepoAccess,
        settings: AnalysisSettings,
        fingerprint: str,
        resolved: ResolvedRef,
        ref: str | None,
    ) -> str:
        # How the commit was found is part of the answer (the reasons say it). The frames
        # are too: a group (say, one with a hand-written Sentry fingerprint) may hold
        # different stacks, and a cache hit must never answer for another stack.
        frames = [
            [f.abs_path, f.filename, f.module, f.function, f.lineno, f.in_app, f.context_line]
            for exc in event.exceptions
            for f in exc.frames
        ]
        knobs = [
            access.key,
            fingerprint,
            frames,
            resolved.sha,
            resolved.how,
            ref or "",
            settings.code_mappings,
            settings.suspect_max_age_days,
            bool(settings.github_token),
        ]
        return hashlib.sha256(json.dumps(knobs, sort_keys=True).encode()).hexdigest()

    def _analyze_at(
        self,
        event: ErrorEvent,
        settings: AnalysisSettings,
        repo: Repository,
        resolved: ResolvedRef,
        fingerprint: str,
    ) -> Analysis:
        score = Confidence()
        index = self.index(repo, resolved.sha)
        mappings: dict[tuple[str | None, str | None, str | None], FrameMapping] = {}
        located: list[Located] = []
        frames_out: list[dict[str, object]] = []
        for exc in event.exceptions:
            for frame in exc.frames:
                key = frame_key(frame)
                if key not in mappings:
                    mappings[key] = map_frame(frame, index, settings.code_mappings)
                located.append(Located(exc, frame, mappings[key]))
                frames_out.append(frame_dict(frame, mappings[key]))
        add_frame_code(repo, resolved.sha, located, frames_out)
        culprit_at = choose_culprit(event, located, score)
        if culprit_at is None:
            analysis = trace_only(event, score.reasons, fingerprint)
            analysis.frames = frames_out
            analysis.commit = resolved.sha
            analysis.reasons.append(resolved.how)
            return analysis
        if resolved.exact:
            score.add(weights.RELEASE_RESOLVED, resolved.how)
        else:
            score.note(resolved.how)
        culprit = read_culprit(repo, resolved.sha, culprit_at, score)
        suspect = self._suspect(event, settings, repo, resolved.sha, culprit_at, located, score)
        analysis = Analysis(
            culprit=culprit,
            frames=frames_out,
            suspect_commit=suspect,
            commit=resolved.sha,
            fingerprint=fingerprint,
        )
        self._add_owners(analysis, repo, resolved.sha, index, culprit.path, score)
        analysis.confidence = score.value
        analysis.reasons = score.reasons
        return analysis

    def _suspect(
        self,
        event: ErrorEvent,
        settings: AnalysisSettings,
        repo: Repository,
        sha: str,
        culprit_at: Located,
        located: list[Located],
        score: Confidence,
    ) -> SuspectCommit | None:
        """Blame the culprit line and its stack's other in-app lines; the newest recent wins."""
        targets: list[tuple[str, int]] = []
        if culprit_at.mapping.repo_path and culprit_at.frame.lineno:
            targets.append((culprit_at.mapping.repo_path, culprit_at.frame.lineno))
        # Only the culprit's own stack: in a chain, the wrapping exceptions' frames are
        # consequences of the root cause, not candidates for introducing it.
        own = [x for x in located if x.exception is culprit_at.exception]
        for x in reversed(own):
            if x.frame.in_app and x.mapping.status == "mapped" and x.frame.lineno:
                target = (x.mapping.repo_path or "", x.frame.lineno)
                if target not in targets:
                    targets.append(target)
        ignore = None
        if IGNORE_REVS_FILE in self.index(repo, sha):
            listed = repo.read_lines(sha, IGNORE_REVS_FILE) or []
            try:
                ignore = ignore_revs_file(
                    listed, Path(settings.repo_cache_dir) / "blame-ignore", sha
                )
            except OSError as exc:  # a read-only cache must not cost the whole analysis
                score.note(f"cannot use {IGNORE_REVS_FILE}: {exc.strerror}")
            if ignore is not None:
                score.note(f"blame skips the commits listed in {IGNORE_REVS_FILE}")
        suspect = blame_suspect(
            repo,
            sha,
            targets,
            reference=event.occurred_at or event.received_at,
            max_age_days=settings.suspect_max_age_days,
            score=score,
            ignore_revs=ignore,
        )
        if suspect is None:
            return None
        # The commits API needs the token (a GitHub App alone is not wired here yet).
        if settings.github_token and settings.github_owner and settings.github_repo:
            where = (settings.github_api_url, settings.github_owner, settings.github_repo)
            if where not in self._logins:
                self._logins[where] = LoginResolver(settings, self._login_client)
            lookup = self._logins[where].lookup(suspect.sha)
            suspect.login = lookup.login
            if lookup.problem:
                score.note(f"no GitHub login for the suspect's author: {lookup.problem}")
        return suspect

    def _add_owners(
        self,
        analysis: Analysis,
        repo: Repository,
        sha: str,
        index: FileIndex,
        path: str,
        score: Confidence,
    ) -> None:
        location, rules = self.codeowners(repo, sha, index)
        if location is None:
            score.note("no CODEOWNERS file")
            return
        rule, owners = owners_for(rules, path)
        if rule is None:
            score.note(f"no {location} rule covers {path}")
            return
        analysis.owners = [o.name for o in owners]
        analysis.owner_details = [{"name": o.name, "kind": o.kind} for o in owners]
        who = ", ".join(analysis.owners) or "nobody"
        score.note(f"owners from {location} line {rule.line} ({rule.pattern}): {who}")


def analyze_with(
    event: ErrorEvent,
    settings: AnalysisSettings,
    *,
    location: str | None = None,
    ref: str | None = None,
) -> Analysis:
    """Analyse `event` once, with an analyzer of its own (the CLI's way in, at `location`
    and `ref` when given); never raises for bad input. Long-lived callers keep one
    `Analyzer` instead, so its caches last."""
    return Analyzer(settings).analyze(event, location=location, ref=ref)
