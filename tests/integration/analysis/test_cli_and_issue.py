"""`autotriage analyze` as a user runs it, the frames it maps, and the issue the local
tracker files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import select

from autotriage.analysis import analyze_with
from autotriage.intake import Intake
from autotriage.services import build_services
from autotriage.sources.registry import REGISTRY
from autotriage.store import Store
from autotriage.store.tables import TrackerItem

KEYS = {"fingerprint", "culprit", "frames", "suspect_commit", "owners", "confidence", "reasons"}


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "REPO_"))}
    env["AUTOTRIAGE_REPO_CACHE_DIR"] = str(cwd / "cache")
    return subprocess.run(
        [sys.executable, "-m", "autotriage", "analyze", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_json_output_has_exactly_the_documented_shape(
    corpus: dict[str, Any], tmp_path: Path
) -> None:
    py = corpus["python/zero"]
    java = corpus["java/bounds"]
    (tmp_path / "trace.txt").write_bytes(py.body)
    (tmp_path / "event.json").write_bytes(java.body)
    done = _cli("--json", "--repo", str(py.repo_path), "trace.txt", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    [line] = done.stdout.splitlines()
    out = json.loads(line)
    assert set(out) == KEYS
    assert set(out["culprit"]) == {"path", "line", "function", "permalink", "code"}
    assert (out["culprit"]["path"], out["culprit"]["line"]) == ("shop/pricing.py", py.expected_line)
    assert out["culprit"]["function"] == "unit_price"
    assert out["culprit"]["permalink"] is None  # a local repository without a GitHub remote
    assert any("BUG:zero" in c for c in out["culprit"]["code"])
    assert set(out["suspect_commit"]) == {"sha", "author_name", "author_email", "date", "summary"}
    assert out["suspect_commit"]["sha"] == py.expected_sha
    assert out["owners"] == ["@bob-baker", "@acme/pricing"]
    assert all(
        set(f) == {"filename", "lineno", "function", "in_app", "repo_path"} for f in out["frames"]
    )
    assert [f["repo_path"] for f in out["frames"] if f["in_app"]][-2:] == [
        "shop/cli.py",
        "shop/pricing.py",
    ]
    assert 0 <= out["confidence"] <= 1
    replayed = subprocess.run(
        [sys.executable, "-m", "autotriage", "replay", "--json", "trace.txt"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert json.loads(replayed.stdout)["fingerprint"] == out["fingerprint"]  # the group's hash
    done = _cli("--json", "--repo", str(java.repo_path), "event.json", cwd=tmp_path)
    out = json.loads(done.stdout)
    assert out["culprit"]["path"] == "src/main/java/com/acme/util/Strings.java"
    assert out["owners"] == ["judy@example.com", "@acme/platform"]


def test_text_output_and_ref(corpus: dict[str, Any], tmp_path: Path) -> None:
    trace = corpus["javascript/undefined"]
    (tmp_path / "event.json").write_bytes(trace.body)
    done = _cli("--repo", str(trace.repo_path), "--ref", "v1.2.0", "event.json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"culprit: src/orders/total.js:{trace.expected_line} in orderTotal" in done.stdout
    assert "suspect: " in done.stdout
    assert "Frank Fischer <frank@example.com>" in done.stdout
    assert "owners:  @frank-fischer" in done.stdout
    assert "ref v1.2.0" in done.stdout


def test_bad_arguments_name_the_option(corpus: dict[str, Any], tmp_path: Path) -> None:
    (tmp_path / "t.txt").write_bytes(corpus["python/zero"].body)
    done = _cli("--repo", str(tmp_path / "nope"), "t.txt", cwd=tmp_path)
    assert done.returncode == 2
    assert "--repo" in done.stderr
    assert "Traceback" not in done.stderr
    done = _cli("--source", "nope", "--repo", str(tmp_path), "t.txt", cwd=tmp_path)
    assert done.returncode == 2
    assert "--source" in done.stderr
    done = _cli("--repo", str(corpus["python/zero"].repo_path), "missing.txt", cwd=tmp_path)
    assert done.returncode == 1
    assert "missing.txt: cannot read" in done.stderr


def test_bad_repositories_and_traces_become_reasons(
    corpus: dict[str, Any], make_settings: Any, tmp_path: Path
) -> None:
    settings = make_settings(AUTOTRIAGE_REPO_CACHE_DIR=str(tmp_path / "cache"))
    event = REGISTRY["text"].parse(corpus["python/zero"].body, {})[0]
    plain = REGISTRY["text"].parse(b"ERROR something odd happened, no trace\n", {})[0]
    not_git = tmp_path / "plain-folder"
    not_git.mkdir()
    empty = tmp_path / "empty"
    empty.mkdir()
    subprocess.run(["git", "init", "-q", str(empty)], check=True)
    repo = str(corpus["python/zero"].repo_path)
    cases = [
        (event, {"location": str(not_git)}, "is not a git repository"),
        (event, {"location": str(tmp_path / "gone")}, "does not exist"),
        (event, {"location": str(empty)}, "the repository is empty"),
        (event, {"location": repo, "ref": "nope"}, "ref nope not found"),
        (event, {"location": repo, "ref": "--output=/tmp/x"}, "not found"),
        (plain, {"location": repo}, "no stack frames"),
        (event, {"location": "file:///nonexistent/repo.git"}, "repository unavailable"),
        (event, {"location": "fd::17"}, "does not exist"),
        (event, {"location": "ftp://example.invalid/x.git"}, "must use https://"),
        (event, {"location": "https://user:pw@example.invalid/x.git"}, "must not carry"),
        (event, {}, "no repository configured"),
    ]
    for item, kwargs, reason in cases:
        out = analyze_with(item, settings.analysis, **kwargs)
        assert any(reason in r for r in out.reasons), (kwargs, out.reasons)
        assert out.confidence <= 0.2
        if item is event:  # the trace's own culprit survives every failure
            assert out.culprit is not None
            assert out.culprit.function == "unit_price"


def _pyshop(trace: Any, make_settings: Any, tmp_path: Path) -> Any:
    """Settings analysing `trace`'s repository as if it were github.com/acme/pyshop."""
    return make_settings(
        REPO_PATH=str(trace.repo_path),
        GITHUB_OWNER="acme",
        GITHUB_REPO="pyshop",
        AUTOTRIAGE_REPO_CACHE_DIR=str(tmp_path / "cache"),
    )


def test_mapped_in_app_frames_carry_code_and_permalink(
    corpus: dict[str, Any], make_settings: Any, tmp_path: Path
) -> None:
    trace = corpus["python/zero"]
    event = REGISTRY["text"].parse(trace.body, {})[0]
    out = analyze_with(event, _pyshop(trace, make_settings, tmp_path).analysis)
    mapped = [f for f in out.frames if f["in_app"] and f["mapping"] == "mapped"]
    assert len(mapped) >= 2
    for frame in mapped:
        assert frame["permalink"] == (
            f"https://github.com/acme/pyshop/blob/{out.commit}/{frame['repo_path']}"
            f"#L{frame['lineno']}"
        )
        marked = [line for line in frame["code"] if line.startswith(">")]
        assert marked == [line for line in frame["code"] if f"{frame['lineno']:>5} |" in line]
        assert 1 <= len(frame["code"]) <= 5
    culprit = out.culprit
    assert culprit is not None
    assert any(f["permalink"] == culprit.permalink for f in mapped)
    assert not any("code" in f for f in out.frames if not f["in_app"])


def test_local_tracker_issue_shows_culprit_code_permalink_suspect_and_owners(
    corpus: dict[str, Any], make_settings: Any, tmp_path: Path
) -> None:
    trace = corpus["python/zero"]
    settings = _pyshop(trace, make_settings, tmp_path)
    store = Store(settings.database_url)
    store.migrate()
    try:
        Intake(store).accept("text", REGISTRY["text"].parse(trace.body, {}))
        services = build_services(settings, store=store)
        services.worker.drain()
        services.http.close()
        with store.reading() as session:
            body = session.scalars(select(TrackerItem)).one().body
    finally:
        store.dispose()
    assert "## Where it broke" in body
    permalink = "https://github.com/acme/pyshop/blob/"
    assert f"/shop/pricing.py#L{trace.expected_line})" in body
    assert permalink in body
    assert "BUG:zero" in body  # the code around the line
    assert f"`{trace.expected_sha[:12]}` Simplify unit prices — Bob Baker" in body
    assert "## Owners" in body
    assert "@bob-baker, @acme/pricing" in body
    assert "Analysis confidence" in body
