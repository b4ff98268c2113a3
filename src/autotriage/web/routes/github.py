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
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from autotriage.actions import kinds
from autotriage.actions.github.signals import issue_signal
from autotriage.actions.kinds import PlannedAction
from autotriage.config_sections import GitHubSettings
from autotriage.errors import Ignored, PayloadInvalid, SignatureInvalid
from autotriage.intake import Intake, IssueRef
from autotriage.sources.base import load_json, require_object, signed_delivery_id
from autotriage.store.tables import Group
from autotriage.web.ingest import read_body, services_of

router = APIRouter()
SOURCE = "github-webhook"


def verify(raw: bytes, headers: dict[str, str], settings: GitHubSettings) -> None:
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


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _when(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def handle_issue_event(
    intake: Intake, settings: GitHubSettings, delivery: str, payload: dict[str, Any]
) -> dict[str, Any]:
    """Apply one ``issues`` delivery through intake; return what was done."""
    action = payload.get("action")
    issue = payload.get("issue")
    repo = payload.get("repository")
    if not isinstance(issue, dict) or type(issue.get("number")) is not int:
        raise PayloadInvalid("issue.number: missing")
    if not 0 < issue["number"] < 2**63:
        raise PayloadInvalid("issue.number: out of range")
    if not settings.github_owner or not settings.github_repo:
        # Fail closed: with no repository configured, no delivery names ours.
        raise Ignored("GITHUB_OWNER/GITHUB_REPO are not configured")
    full = f"{settings.github_owner}/{settings.github_repo}".lower()
    named = repo.get("full_name") if isinstance(repo, dict) else None
    if not isinstance(named, str) or named.lower() != full:
        raise Ignored(f"not the configured repository {full}")
    if action not in ("closed", "reopened"):
        raise Ignored(f"issues.{str(action)[:40]} needs nothing")
    sender = payload.get("sender")
    if not isinstance(sender, dict):
        sender = {}
    state = "closed" if action == "closed" else "open"
    signal = issue_signal(
        state,
        _text(issue.get("state_reason")),
        closed_at=_when(issue.get("closed_at")),
        by_person=sender.get("type") != "Bot",
    )

    def sync(group: Group) -> PlannedAction:
        # a resolve: read the issue's events for the commit that closed it, later
        key = kinds.sync_delivery_key(group.id, delivery)
        return PlannedAction(kinds.ActionKind.GITHUB_SYNC, key, group.id, group.latest_event_id)

    outcome = intake.apply_status(
        SOURCE,
        IssueRef(kinds.Tracker.GITHUB, str(issue["number"]), state),
        signal,
        delivery_id=delivery,
        follow_up=sync if signal is not None and signal.status == "resolved" else None,
    )
    if outcome.duplicate:
        return {"status": "duplicate"}
    if not outcome.groups:
        raise Ignored(f"issue #{issue['number']} is not linked to a group")
    group_id, status = next(iter(outcome.groups.items()))
    return {"status": "applied", "group": group_id, "group_status": status}


@router.post("/webhook/github")
async def github_webhook(request: Request) -> JSONResponse:
    """GitHub's ``issues`` (and ``ping``) deliveries."""
    services = services_of(request)
    raw = await read_body(request, limit=services.limits.github)
    headers = {k.lower(): v for k, v in request.headers.items()}
    verify(raw, headers, services.github)
    event = headers.get("x-github-event", "")
    delivery = headers.get("x-github-delivery", "")
    if not delivery:
        raise PayloadInvalid("X-GitHub-Delivery: missing")
    if event == "ping":
        return JSONResponse({"status": "ok", "zen": "pong"})
    if event != "issues":
        raise Ignored(f"{event or 'unnamed'} events need nothing")
    payload = require_object(load_json(raw))
    # X-GitHub-Delivery is not signed, so a replay could change it: name it by what is.
    signed = signed_delivery_id(raw, headers.get("x-hub-signature-256", ""))
    result = await run_in_threadpool(
        handle_issue_event, services.intake, services.github, signed, payload
    )
    return JSONResponse(result)
