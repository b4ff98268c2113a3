"""The group page in-process: its exception chain, its fix attempt (from ``fix_attempts``)
and pull request, and the users affected."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from autotriage.actions.kinds import ActionKind, PlannedAction, fix_key
from autotriage.actions.outbox import enqueue
from autotriage.models import ErrorEvent, ExceptionInfo, Frame, utcnow
from autotriage.pipeline import process_pending
from autotriage.store.fixes import save_attempt
from autotriage.store.tables import Group
from tests.console_data import TOKEN, failed_fix_attempt, login, seed_fix_attempt


def section(html: str, heading_id: str) -> str:
    """The text of the page's ``<section>`` labelled by `heading_id`."""
    found = re.search(rf'<section aria-labelledby="{heading_id}".*?</section>', html, re.S)
    assert found, f"no section {heading_id}"
    return found.group(0)


def test_the_fix_attempt_shows_fixer_diff_evidence_and_the_failed_gate(
    app: FastAPI, client: TestClient, ids: dict[str, int]
) -> None:
    login(client)
    gid = ids["keyerror"]
    before = section(client.get(f"/groups/{gid}").text, "h-fix")
    assert "No fix attempt is recorded" in before
    seed_fix_attempt(app.state.services, gid)
    fix = section(client.get(f"/groups/{gid}").text, "h-fix")
    assert "<code>python-name</code>" in fix
    assert "suggested only" in fix
    assert (
        "Stopped at the <strong>tests</strong> gate: broke: tests/test_cart.py::test_total" in fix
    )
    # every gate, the ones that held too
    assert re.findall(r'<li class="(ok|failed)">', fix) == ["ok", "ok", "failed"]
    # the diff, line by line, escaped and marked as added or removed
    assert '<span class="d-del">-    total = prices[sku] * qty</span>' in fix
    assert '<span class="d-add">+    total = prices.get(sku, 0) * qty</span>' in fix
    # the evidence the test runs gave
    assert "<code>pytest -q</code>" in fix
    assert "2 passed, 1 failed" in fix and "1 passed, 2 failed" in fix
    assert "<code>tests/test_cart.py::test_total</code>" in fix
    assert 'class="badge v-refused"' in fix
    assert "<code>0123456789ab</code>" in fix  # the commit it was tried at


def test_a_pending_fix_action_is_shown_before_its_attempt(
    app: FastAPI, client: TestClient, ids: dict[str, int]
) -> None:
    login(client)
    gid = ids["timeout"]
    with app.state.store.transaction() as session:
        enqueue(session, PlannedAction(ActionKind.FIX_PROPOSE, fix_key(gid, 0), gid), utcnow())
    fix = section(client.get(f"/groups/{gid}").text, "h-fix")
    assert "<code>fix.propose</code> is" in fix and "no attempt is recorded yet" in fix


def test_users_affected_are_counted_distinctly_and_shown(
    app: FastAPI, client: TestClient, ids: dict[str, int]
) -> None:
    login(client)
    with app.state.store.reading() as session:
        users = {name: session.get(Group, gid).users for name, gid in ids.items()}  # type: ignore[union-attr]
    # id 42 twice, an email, an address; the other groups' events name nobody
    assert users == {"keyerror": 3, "timeout": 0, "xss": 0, "staging": 0}
    listing = client.get("/?service=checkout&environment=production").text
    assert re.findall(r'<td class="num users">([^<]+)</td>', listing) == ["3"]
    assert re.findall(r'<td class="num users">([^<]+)</td>', client.get("/?q=timed").text) == ["—"]
    detail = client.get(f"/groups/{ids['keyerror']}").text
    assert '<dd id="users">3</dd>' in detail
    api = client.get(f"/api/groups/{ids['keyerror']}", headers={"authorization": f"Bearer {TOKEN}"})
    assert api.json()["users"] == 3


def test_a_fix_pull_request_is_linked_from_the_list_and_the_group(
    app: FastAPI, client: TestClient, ids: dict[str, int]
) -> None:
    login(client)
    gid = ids["timeout"]
    url = "https://github.com/acme/shop/pull/7"
    attempt = {**failed_fix_attempt(), "outcome": "pr", "pr_number": 7, "pr_url": url}
    with app.state.store.transaction() as session:
        save_attempt(
            session, fix_key(gid, 0), gid, {**attempt, "branch": "autotriage/fix-2"}, utcnow()
        )
    listing = client.get("/?service=payments").text
    assert f'<a href="{url}" rel="noreferrer">PR #7</a> <span class="muted">(fix)</span>' in listing
    issue = section(client.get(f"/groups/{gid}").text, "h-issue")
    assert f'Fix pull request: <a href="{url}" rel="noreferrer">#7</a>' in issue
    assert "<code>autotriage/fix-2</code>" in issue


def test_the_chain_shows_the_raised_exception_first_and_folds_library_frames(
    app: FastAPI, client: TestClient
) -> None:
    services = app.state.services
    library = [Frame(filename=f"site-packages/lib/m{n}.py", lineno=n) for n in range(1, 5)]
    app_frame = Frame(filename="app/views.py", function="show", lineno=9, in_app=True)
    event = ErrorEvent(
        source="generic",
        exceptions=[
            ExceptionInfo(type="KeyError", value="'id'", frames=[app_frame]),
            ExceptionInfo(type="LookupFailed", value="no such row", frames=[*library, app_frame]),
        ],
    )
    services.intake.accept("generic", [event])
    process_pending(services.store, services.settings.pipeline)
    login(client)
    with services.store.reading() as session:
        gid = session.query(Group).one().id
    trace = section(client.get(f"/groups/{gid}").text, "h-trace")
    raised, cause = trace.index("LookupFailed"), trace.index("KeyError")
    assert raised < cause and "Chained from</span> <code>KeyError" in trace
    assert "<summary>4 library frames</summary>" in trace
    # newest first, numbered as the trace counts: the in-app frame is #5 of the raised one
    assert re.findall(r'<li value="(\d+)"', trace) == ["5", "4", "3", "2", "1", "1"]
