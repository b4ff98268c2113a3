"""Groups for the console's tests: events through intake and the pipeline, as in production;
and the login the console's tests share."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from autotriage.actions.fixes.model import Evidence, FixAttempt, GateResult, Patch, RunCounts
from autotriage.actions.kinds import ActionKind, PlannedAction, fix_key
from autotriage.actions.outbox import enqueue
from autotriage.models import ErrorEvent, ExceptionInfo, Frame, utcnow
from autotriage.pipeline import process_pending
from autotriage.services import Services
from autotriage.store.fixes import save_attempt
from autotriage.store.tables import Action, Group

XSS_TITLE = "<script>window.__xss=1;alert(1)</script>"
TOKEN = "console-test-token"


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def login(client: TestClient, name: str = "ana") -> str:
    """Log in as `name` with `TOKEN`; the CSRF token of the list page."""
    response = client.post("/login", data={"name": name, "token": TOKEN, "next": "/"})
    assert response.status_code == 303
    return csrf_of(client.get("/").text)


def event(
    kind: str,
    value: str,
    *,
    service: str = "checkout",
    environment: str = "production",
    release: str = "1.4.0",
    source: str = "generic",
    at: datetime | None = None,
    function: str = "handle",
    user: dict[str, str] | None = None,
) -> ErrorEvent:
    """One Python error with an in-app frame and a library frame (and a Sentry user)."""
    return ErrorEvent(
        source=source,
        contexts={"user": user} if user else {},
        occurred_at=at or utcnow(),
        service=service,
        environment=environment,
        release=release,
        platform="python",
        exceptions=[
            ExceptionInfo(
                type=kind,
                value=value,
                frames=[
                    Frame(filename="site-packages/flask/app.py", function="dispatch", lineno=880),
                    Frame(
                        filename=f"app/{service}.py",
                        function=function,
                        lineno=42,
                        in_app=True,
                        context_line="    total = prices[sku] * qty",
                    ),
                ],
            )
        ],
    )


def seed(services: Services) -> dict[str, int]:
    """Four groups (one with a `<script>` title) with events spread over two days; the
    KeyError group's events name three distinct users."""
    now = utcnow()
    batches = {
        # three distinct users: an id twice, an email, an address
        "keyerror": [
            event("KeyError", "'sku'", at=now - timedelta(hours=h), user=user)
            for h, user in (
                (0, {"id": "42", "email": "ana@example.com"}),
                (1, {"id": "42"}),
                (1, {"email": "bo@example.com"}),
                (5, {"ip_address": "203.0.113.7"}),
            )
        ],
        "timeout": [
            event(
                "TimeoutError",
                "upstream payments timed out",
                service="payments",
                function="charge",
                release="1.5.0",
                at=now - timedelta(hours=h),
            )
            for h in (2, 30)
        ],
        "xss": [event("ValueError", XSS_TITLE, service="search", function="query")],
        "staging": [
            event(
                "ZeroDivisionError",
                "division by zero",
                environment="staging",
                function="ratio",
                source="sentry",
                at=now - timedelta(hours=40),
            )
        ],
    }
    for events in batches.values():
        services.intake.accept(events[0].source, events)
    process_pending(services.store, services.settings.pipeline)
    ids: dict[str, int] = {}
    with services.store.reading() as session:
        for group in session.query(Group).all():
            for name, events in batches.items():
                if group.title.startswith(events[0].exceptions[0].type):
                    ids[name] = group.id
    return ids


def failed_fix_attempt() -> dict[str, Any]:
    """A fix attempt as the fix action stores it: a patch whose tests gate failed."""
    attempt = FixAttempt(
        outcome="suggest",
        patch=Patch(
            diff=(
                "--- a/app/checkout.py\n+++ b/app/checkout.py\n@@ -42 +42 @@\n"
                "-    total = prices[sku] * qty\n+    total = prices.get(sku, 0) * qty\n"
            ),
            fixer="python-name",
            why="prices may lack the SKU: read it with a default",
        ),
        files=["app/checkout.py"],
        evidence=Evidence(
            command="pytest -q",
            isolation="bubblewrap",
            before=RunCounts(frozenset({"t1", "t2"}), frozenset({"t3"})),
            after=RunCounts(frozenset({"t1"}), frozenset({"t2", "t3"})),
            broken=("tests/test_cart.py::test_total",),
            verdict="refused",
        ),
        gates=[
            GateResult("well-formed", True, "edits 1 existing file(s)"),
            GateResult("files", True, "touches only in-app frame files: app/checkout.py"),
            GateResult("tests", False, "broke: tests/test_cart.py::test_total"),
        ],
        reasons=["prices may lack the SKU: read it with a default"],
        commit="0123456789abcdef0123456789abcdef01234567",
    )
    return attempt.as_json()


def seed_fix_attempt(services: Services, group_id: int) -> None:
    """Store `failed_fix_attempt` for `group_id` as the fix action's record step does."""
    key = fix_key(group_id, 0)
    with services.store.transaction() as session:
        enqueue(session, PlannedAction(ActionKind.FIX_PROPOSE, key, group_id), utcnow())
        action = session.query(Action).filter_by(idempotency_key=key).one()
        action.status, action.attempts = "ok", 1
        save_attempt(session, key, group_id, failed_fix_attempt(), utcnow())
