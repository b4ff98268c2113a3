"""``POST /webhook/github``: GitHub tells us when a linked issue is closed or reopened.

The signature (``X-Hub-Signature-256``, HMAC-SHA256 of the raw body with
``GITHUB_WEBHOOK_SECRET``) is checked before anything is parsed, and each
``X-GitHub-Delivery`` is handled once (GitHub redelivers on timeouts and on request).

``issues`` events for issues linked to a group:

* ``closed`` as completed -> group resolved (when, and the release then current); a
  ``github.sync`` action then reads the issue's events for the commit that closed it;
* ``closed`` as not planned or duplicate -> group ignored, never reopened;
* ``reopened`` by a person -> group open (autotriage's own reopenings are ignored here).

Other events and issues not ours are answered 200 ``ignored`` so GitHub keeps the hook.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from autotriage.actions.base import PlannedAction
from autotriage.actions.github.state import apply_issue_state, link_for_issue
from autotriage.actions.outbox import enqueue
from autotriage.config import Settings
from autotriage.errors import Ignored, PayloadInvalid, SignatureInvalid
from autotriage.models import utcnow
from autotriage.store import Store
from autotriage.store.inserts import insert_ignore
from autotriage.store.tables import Delivery, Group
from autotriage.web.ingest import read_body

router = APIRouter()
SOURCE = "github-webhook"


def verify(raw: bytes, headers: dict[str, str], settings: Settings) -> None:
    """Check ``X-Hub-Signature-256`` against ``GITHUB_WEBHOOK_SECRET`` in constant time."""
    secret = settings.github_webhook_secret
    if secret is None:
        raise SignatureInvalid("GITHUB_WEBHOOK_SECRET is not configured")
    given = headers.get("x-hub-signature-256", "")
    expected = (
        "sha256=" + hmac.new(secret.get_secret_value().encode(), raw, hashlib.sha256).hexdigest()
    )
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise SignatureInvalid("X-Hub-Signature-256 is missing or wrong")


def _when(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def handle_issue_event(
    store: Store, settings: Settings, delivery: str, payload: dict[str, Any]
) -> dict[str, Any]:
    """Apply one ``issues`` delivery; return what was done."""
    action = payload.get("action")
    issue = payload.get("issue")
    repo = payload.get("repository") or {}
    if not isinstance(issue, dict) or not isinstance(issue.get("number"), int):
        raise PayloadInvalid("issue.number: missing")
    full = f"{settings.github_owner}/{settings.github_repo}".lower()
    if str(repo.get("full_name", "")).lower() != full:
        raise Ignored(f"not the configured repository {full}")
    if action not in ("closed", "reopened"):
        raise Ignored(f"issues.{action} needs nothing")
    sender = payload.get("sender") or {}
    by_person = sender.get("type") != "Bot"
    now = utcnow()
    with store.transaction() as session:
        table = Delivery.__table__
        row = insert_ignore(
            session,
            table,  # type: ignore[arg-type]
            source=SOURCE,
            delivery_id=delivery[:255],
            received_at=now,
            event_ids=[],
        )
        if row is None:
            return {"status": "duplicate"}
        link = link_for_issue(session, issue["number"])
        if link is None:
            raise Ignored(f"issue #{issue['number']} is not linked to a group")
        group = session.get(Group, link.group_id, with_for_update=True)
        if group is None:
            raise Ignored("the group is gone")
        changed = apply_issue_state(
            group,
            link,
            state="closed" if action == "closed" else "open",
            state_reason=issue.get("state_reason"),
            closed_at=_when(issue.get("closed_at")),
            by_person=by_person,
        )
        if changed == "resolved":
            enqueue(
                session,
                PlannedAction(
                    "github.sync",
                    f"github.sync:{group.id}:{delivery}",
                    group.id,
                    group.latest_event_id,
                ),
                now,
            )
        return {"status": "applied", "group": group.id, "group_status": group.status}


@router.post("/webhook/github")
async def github_webhook(request: Request) -> JSONResponse:
    """GitHub's ``issues`` (and ``ping``) deliveries."""
    settings: Settings = request.app.state.settings
    raw = await read_body(request, limit=settings.limits.github)
    headers = {k.lower(): v for k, v in request.headers.items()}
    verify(raw, headers, settings)
    event = headers.get("x-github-event", "")
    delivery = headers.get("x-github-delivery", "")
    if not delivery:
        raise PayloadInvalid("X-GitHub-Delivery: missing")
    if event == "ping":
        return JSONResponse({"status": "ok", "zen": "pong"})
    if event != "issues":
        raise Ignored(f"{event or 'unnamed'} events need nothing")
    try:
        payload = json.loads(raw)
    except ValueError:
        raise PayloadInvalid("body: not JSON") from None
    if not isinstance(payload, dict):
        raise PayloadInvalid("body: not a JSON object")
    result = await run_in_threadpool(
        handle_issue_event, request.app.state.store, settings, delivery, payload
    )
    return JSONResponse(result)
