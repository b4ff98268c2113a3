"""Mirroring over smart HTTP with a token, and author logins from a commits API (loopback)."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path
from typing import Any

import pytest
from analysis_servers import CommitsApiServer, GitHttpServer

from autotriage.analysis.access import sync_mirror
from autotriage.analysis.analyzer import Analyzer
from autotriage.config import Settings
from autotriage.sources.registry import REGISTRY

TOKEN = "ghs_TESTONLYnotarealtoken1234567890"


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.fixture
def served(corpus: dict[str, Any], tmp_path: Path) -> Path:
    """A bare copy of the corpus's Python repository, served under /acme/pyshop.git."""
    source = corpus["python/zero"].repo_path
    bare = tmp_path / "served" / "acme" / "pyshop.git"
    bare.parent.mkdir(parents=True)
    _git(tmp_path, "clone", "-q", "--bare", str(source), str(bare))
    _git(bare, "config", "uploadpack.allowFilter", "true")
    _git(bare, "config", "uploadpack.allowAnySHA1InWant", "true")
    return bare


def _settings(
    make_settings: Any, tmp_path: Path, git_url: str, api_url: str, token: str
) -> Settings:
    settings: Settings = make_settings(
        GITHUB_TOKEN=token,
        GITHUB_OWNER="acme",
        GITHUB_REPO="pyshop",
        GITHUB_GIT_URL=git_url,
        GITHUB_API_URL=api_url,
        AUTOTRIAGE_REPO_CACHE_DIR=str(tmp_path / "cache"),
        REPO_FETCH_INTERVAL_SECONDS=0,
    )
    return settings


def _all_text(folder: Path) -> str:
    return "\n".join(p.read_bytes().decode("latin-1") for p in folder.rglob("*") if p.is_file())


def test_blobless_mirror_with_token_in_header_only(
    corpus: dict[str, Any], served: Path, tmp_path: Path, make_settings: Any
) -> None:
    trace = corpus["python/zero"]
    event = REGISTRY["text"].parse(trace.body, {})[0]
    with (
        GitHttpServer(served.parent.parent, TOKEN) as git,
        CommitsApiServer({trace.expected_sha: "bob-gh"}) as api,
    ):
        settings = _settings(make_settings, tmp_path, git.url, api.url, TOKEN)
        analyzer = Analyzer(settings.analysis)
        result = analyzer.analyze(event)
        again = analyzer.analyze(event)
    assert result.culprit is not None
    assert result.culprit.path == "shop/pricing.py"
    assert result.culprit.line == trace.expected_line
    assert result.culprit.permalink == (
        f"{git.url}/acme/pyshop/blob/{result.commit}/shop/pricing.py#L{trace.expected_line}"
    )
    assert result.suspect_commit is not None
    assert result.suspect_commit.sha == trace.expected_sha
    assert result.suspect_commit.login == "bob-gh"
    assert again.suspect_commit is not None
    assert again.suspect_commit.login == "bob-gh"
    # Every git request carried the header; the API saw one request (then the cache).
    assert git.requests
    assert all(r["authorization"] == git.expected_auth for r in git.requests)
    assert [r["authorization"] for r in api.requests] == [f"Bearer {TOKEN}"]
    # A blobless partial clone, whose config, URL and files never hold the token.
    mirror = next((tmp_path / "cache").glob("pyshop.git-*"))
    config = _git(mirror, "config", "--list")
    assert "remote.origin.promisor=true" in config
    assert "remote.origin.partialclonefilter=blob:none" in config
    assert f"remote.origin.url={git.url}/acme/pyshop.git" in config
    basic = base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()
    everything = _all_text(mirror)
    assert TOKEN not in everything
    assert basic not in everything


def test_wrong_token_fails_cleanly_without_leaking(
    corpus: dict[str, Any], served: Path, tmp_path: Path, make_settings: Any
) -> None:
    event = REGISTRY["text"].parse(corpus["python/zero"].body, {})[0]
    with GitHttpServer(served.parent.parent, "the-right-token") as git:
        settings = _settings(make_settings, tmp_path, git.url, "http://127.0.0.1:9", TOKEN)
        result = Analyzer(settings.analysis).analyze(event)
    assert any(r.startswith("repository unavailable: git clone failed") for r in result.reasons)
    text = result.model_dump_json()
    assert TOKEN not in text
    assert result.culprit is not None  # still the trace's own culprit
    assert result.confidence <= 0.2


def test_release_newer_than_the_mirror_triggers_a_fetch(
    corpus: dict[str, Any], served: Path, tmp_path: Path, make_settings: Any
) -> None:
    event = REGISTRY["text"].parse(corpus["python/zero"].body, {})[0]
    with GitHttpServer(served.parent.parent, TOKEN) as git:
        settings = _settings(make_settings, tmp_path, git.url, "http://127.0.0.1:9", TOKEN)
        analyzer = Analyzer(settings.analysis)
        first = analyzer.analyze(event.model_copy(update={"release": "v9.0.0"}))
        assert any("release v9.0.0 not found" in r for r in first.reasons)
        head = _git(served, "rev-parse", "HEAD")
        _git(served, "tag", "v9.0.0", head)
        second = analyzer.analyze(event.model_copy(update={"release": "v9.0.0"}))
    assert any("release v9.0.0 resolved via v9.0.0" in r for r in second.reasons)
    assert second.commit == head


def test_unlinked_author_gets_no_login_and_a_reason(
    corpus: dict[str, Any], served: Path, tmp_path: Path, make_settings: Any
) -> None:
    trace = corpus["python/keyerror"]
    event = REGISTRY["text"].parse(trace.body, {})[0]
    with (
        GitHttpServer(served.parent.parent, TOKEN) as git,
        CommitsApiServer({trace.expected_sha: None}) as api,
    ):
        settings = _settings(make_settings, tmp_path, git.url, api.url, TOKEN)
        result = Analyzer(settings.analysis).analyze(event)
    assert result.suspect_commit is not None
    assert result.suspect_commit.author_name == "Carol Chen"
    assert result.suspect_commit.login is None
    assert any("does not link this commit's author" in r for r in result.reasons)


def test_scheduled_sync_fetches_new_commits(
    served: Path, tmp_path: Path, make_settings: Any
) -> None:
    with GitHttpServer(served.parent.parent, TOKEN) as git:
        settings = _settings(make_settings, tmp_path, git.url, "http://127.0.0.1:9", TOKEN)
        before = sync_mirror(settings.analysis)
        assert before == _git(served, "rev-parse", "HEAD")
        tree = _git(served, "rev-parse", "HEAD^{tree}")
        newer = subprocess.run(
            [
                "git",
                "-c",
                "user.name=Zed",
                "-c",
                "user.email=zed@example.com",
                "commit-tree",
                tree,
                "-p",
                before,
                "-m",
                "Newer",
            ],
            cwd=served,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        _git(served, "update-ref", "refs/heads/main", newer)
        assert sync_mirror(settings.analysis) == newer
    assert sync_mirror(make_settings(REPO_PATH=str(tmp_path)).analysis) is None


def test_the_worker_keeps_the_mirror_fresh_on_a_schedule(
    served: Path, tmp_path: Path, make_settings: Any
) -> None:
    import time

    from autotriage.services import build_services

    with GitHttpServer(served.parent.parent, TOKEN) as git:
        settings = make_settings(
            GITHUB_TOKEN=TOKEN,
            GITHUB_OWNER="acme",
            GITHUB_REPO="pyshop",
            GITHUB_GIT_URL=git.url,
            GITHUB_API_URL="http://127.0.0.1:9",
            AUTOTRIAGE_REPO_CACHE_DIR=str(tmp_path / "cache"),
            REPO_FETCH_INTERVAL_SECONDS=0.5,
        )
        services = build_services(settings)  # the worker is handed its periodic jobs here
        services.store.migrate()
        services.worker.start()
        try:
            deadline = time.monotonic() + 30
            while len(git.requests) < 4 and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            services.close()
    # A clone, then fetches every half second, with nothing analysed meanwhile.
    assert len(git.requests) >= 4
    assert next((tmp_path / "cache").glob("pyshop.git-*")).is_dir()
