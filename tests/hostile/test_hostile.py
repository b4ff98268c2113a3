"""The hostile corpus against a live server, on SQLite and PostgreSQL.

The server files to a fake GitHub and posts to a fake Slack webhook, so the rendering
checks (`tests.hostile.rendering`) read what the hostile events became there and in the
console. Prints one line per case and a total. Every case must hold its rules; the few findings
not fixed yet are listed in `tests/hostile/known.py` with their reason, and a listed
case that starts to hold fails this test too, so the list only shrinks.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from autotriage.models import utcnow
from autotriage.store import Store
from autotriage.store.ingest_keys import create_key
from tests.hostile import corpus, edge_cases, payloads
from tests.hostile.attacks import attack_cases
from tests.hostile.corpus import Case
from tests.hostile.known import KNOWN, KNOWN_AFTER
from tests.hostile.rendering import rendering_cases, rendering_problems
from tests.hostile.runner import Runner, after_run, run_cases, run_pairs, traceback_summary
from tests.hostile.server import HostileServer, Listener, RecordingGitHub, SlackRecorder
from tests.support import make_git_repo

pytestmark = pytest.mark.slow


def server_env(
    database_url: str, listener: str, github: RecordingGitHub, slack: SlackRecorder, checkout: Path
) -> dict[str, str]:
    """Every source configured, secrets set, the Sentry API pointed at the listener, issues
    filed to the fake GitHub and notes posted to the fake Slack webhook."""
    return {
        **corpus.SERVER_LIMITS,
        "DATABASE_URL": database_url,
        "WEBHOOK_SECRET": payloads.WEBHOOK_SECRET,
        "SENTRY_CLIENT_SECRET": payloads.SENTRY_CLIENT_SECRET,
        "SENTRY_AUTH_TOKEN": payloads.SENTRY_AUTH_TOKEN,
        "SENTRY_URL": listener,
        "SLACK_SIGNING_SECRET": payloads.SLACK_SIGNING_SECRET,
        "GITHUB_WEBHOOK_SECRET": payloads.GITHUB_WEBHOOK_SECRET,
        "FIREHOSE_ACCESS_KEY": payloads.FIREHOSE_KEY,
        "AUTOTRIAGE_API_TOKEN": payloads.API_TOKEN,
        "SNS_TOPIC_ARNS": "arn:aws:sns:us-east-1:123456789012:hostile",
        "AUTOTRIAGE_WORKER_POLL_SECONDS": "0.05",
        "LOG_LEVEL": "info",
        "GITHUB_TOKEN": github.token,
        "GITHUB_OWNER": github.owner,
        "GITHUB_REPO": github.repo,
        "GITHUB_API_URL": github.url,
        "GITHUB_MUTATION_INTERVAL": "0",
        "GITHUB_TIMEOUT": "5",
        "GITHUB_POLL_SECONDS": "0",
        "REPO_PATH": str(make_git_repo(checkout)),
        "SLACK_WEBHOOK_URL": slack.url,
    }


def ingest_key(database_url: str) -> str:
    """A DSN/OTLP ingest key for project 1."""
    store = Store(database_url)
    try:
        store.migrate()
        with store.transaction() as session:
            key, _ = create_key(session, 1, "hostile", utcnow())
    finally:
        store.dispose()
    return key


def every_case(key: str, listener: str, *, heavy: bool = False) -> Iterator[Case]:
    """The single-request cases, in order, built as they are sent (the replay pairs
    run after them)."""
    yield from corpus.all_cases(key, heavy=heavy)
    yield from edge_cases.web_edge_cases(key)
    yield from edge_cases.odd_valid_cases(key)
    yield from edge_cases.planted_in_names_cases(key)
    yield from rendering_cases(key)
    yield from attack_cases(key)
    yield from corpus.ssrf_cases(listener)


def hostile_run(database_url: str, workdir: Path, *, heavy: bool = False) -> Iterator[str]:
    """Run the whole corpus; yield the printed lines, then ``FAILED <name>`` per failure."""
    key = ingest_key(database_url)
    github = RecordingGitHub()
    with Listener() as listener, SlackRecorder() as slack, github.start():
        env = server_env(database_url, listener.url, github, slack, workdir / "checkout")
        server = HostileServer(env, workdir).start()
        runner = Runner(server, database_url)
        lines: list[str] = []
        try:
            results = run_cases(runner, every_case(key, listener.url, heavy=heavy), lines)
            results += run_pairs(runner, corpus.replay_cases(key), lines)
            after = after_run(runner)
            after += rendering_problems(runner.http, list(github.bodies), list(slack.posts))
            rendered = {"github": github.bodies, "slack": slack.posts}
            (workdir / "rendered.json").write_text(json.dumps(rendered, indent=1))  # to read
            after += [f"fake GitHub: {v}" for v in github.violations]
            logged = traceback_summary(server.log())
            start, end = runner.start_rss >> 20, server.rss() >> 20
        finally:
            runner.close()
            server.stop()
        fetched = [r for r in listener.requests if not _sentry_api_path(r)]
    yield from lines
    failed = [r.case.name for r in results if not r.ok]
    yield f"total: {len(results)} cases, {len(results) - len(failed)} held, {len(failed)} failed"
    yield f"memory: {start} MB resident at the start, {end} MB after the run (bound: +200 MB)"
    yield f"rendered: {len(github.bodies)} GitHub bodies, {len(slack.posts)} Slack posts"
    for problem in after:
        yield f"AFTER {problem}"
    for line in logged:
        yield f"LOG {line}"
    for request in fetched:
        yield f"AFTER fetched {request}"
    for name in failed:
        yield f"FAILED {name}"


def _sentry_api_path(request: str) -> bool:
    """The one Sentry API call autotriage may make: an issue's latest event, by digits."""
    import re

    return re.fullmatch(r"GET /api/0/issues/\d+/events/latest/", request) is not None


@pytest.mark.timeout(600)
def test_hostile_corpus_holds(
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    record_property: Callable[[str, object], None],
) -> None:
    dialect = "postgres" if database_url.startswith("postgresql") else "sqlite"
    lines = list(hostile_run(database_url, tmp_path))
    report = "\n".join(line for line in lines if not line.startswith("FAILED "))
    # One line per case and the total, shown even when pytest captures output.
    with capsys.disabled():
        print(f"\nhostile corpus on {dialect}:\n{report}")  # noqa: T201
    total = next(line for line in lines if line.startswith("total: "))
    record_property(f"hostile_{dialect}", total)  # in the JUnit XML CI keeps
    failed = {line.removeprefix("FAILED ") for line in lines if line.startswith("FAILED ")}
    after = {line.removeprefix("AFTER ") for line in lines if line.startswith("AFTER ")}
    known = {name for name, (where, _) in KNOWN.items() if where in ("both", dialect)}
    # pytest-xdist workers swallow the report printed above, so the failing lines travel
    # in the assertion message too.
    new = sorted(failed - known)
    why = [line for line in lines if line.startswith("FAIL ") and line.split()[1] in new]
    assert new == [], "new hostile failures:\n" + "\n".join(why)
    assert sorted(known - failed) == [], "these now hold: remove them from tests/hostile/known.py"
    known_after = {p for p, (where, _) in KNOWN_AFTER.items() if where in ("both", dialect)}
    unexpected = [p for p in after if not any(k in p for k in known_after)]
    assert unexpected == []
