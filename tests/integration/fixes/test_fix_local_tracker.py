"""Without GitHub, a fix is recorded on the local tracker's item: the PR it would open."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from autotriage.actions import build_handlers
from autotriage.actions.outbox import run_due
from autotriage.config import Settings
from autotriage.intake import Intake
from autotriage.pipeline import process_pending
from autotriage.sources.registry import detect
from autotriage.store import Store
from autotriage.store.fixes import latest_attempt
from autotriage.store.tables import Action, Group, TrackerItem
from autotriage.understanding.scrub import scrub_event
from bench.fixes_corpus.build import build, corpus_test_command


def _drain(store: Store, settings: Settings) -> None:
    handlers = build_handlers(settings)
    for _ in range(40):
        if not (process_pending(store, settings.pipeline) + run_due(store, handlers)):
            return
        time.sleep(0.05)


def test_the_local_tracker_records_the_pr_it_would_open(
    tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    case = build("py_name_local", tmp_path / "cases")
    settings = make_settings(
        REPO_PATH=str(case.repo),
        PR_ENABLED="true",
        FIX_TEST_COMMAND=corpus_test_command(case.lang),
        FIX_CACHE_DIR=str(tmp_path / "cache"),
    )
    store = Store(settings.database_url)
    store.migrate()
    body = case.trace.encode()
    [event] = detect(body).parse(body, {})
    Intake(store).accept("text", [scrub_event(event).model_copy(update={"release": case.sha})])
    _drain(store, settings)
    with store.reading() as session:
        kinds = [a.kind for a in session.scalars(select(Action).order_by(Action.id))]
        item = session.scalars(select(TrackerItem)).one()
        group = session.scalars(select(Group)).one()
        attempt = latest_attempt(session, group.id)
        assert attempt is not None
        assert (attempt.outcome, attempt.fixer, attempt.pr_number) == ("pr", "python-name", None)
        assert attempt.branch is not None and attempt.branch.startswith("autotriage/fix-")
        [note] = item.comments
    assert kinds == ["analysis", "tracker.open", "fix.propose"]
    assert "Would open a fix pull request" in note["body"]
    assert "fix: NameError in app.py:5" in note["body"]
    assert "Fixes #" not in note["body"]  # no GitHub issue to close


def test_without_pr_enabled_no_fix_is_planned(
    tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    case = build("py_name_local", tmp_path / "cases")
    settings = make_settings(REPO_PATH=str(case.repo), FIX_CACHE_DIR=str(tmp_path / "cache"))
    store = Store(settings.database_url)
    store.migrate()
    body = case.trace.encode()
    [event] = detect(body).parse(body, {})
    Intake(store).accept("text", [scrub_event(event)])
    _drain(store, settings)
    with store.reading() as session:
        kinds = [a.kind for a in session.scalars(select(Action))]
    assert "fix.propose" not in kinds
