"""Read API and health: /health, /api/groups, /api/groups/{id}, /trigger-scan."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from autotriage.reports import group_detail, group_summary
from autotriage.store import Store
from autotriage.store.events import count_by_status
from autotriage.store.groups import list_groups
from autotriage.store.tables import Group
from autotriage.web.auth import require_api_token
from autotriage.web.ingest import services_of
from autotriage.web.params import Offset, RowId

router = APIRouter()
protected = APIRouter(dependencies=[Depends(require_api_token)])


def _health(store: Store, details: bool) -> dict[str, Any]:
    with store.reading() as session:
        session.execute(text("SELECT 1"))
        if not details:
            return {"ok": True}
        return {"ok": True, "dialect": store.dialect, "events": count_by_status(session)}


def first_line(text_: str | None) -> str | None:
    """An error's first line, without what SQLAlchemy appends (the SQL and its parameters)."""
    if text_ is None:
        return None
    return text_.split("[SQL:", 1)[0].strip().splitlines()[0][:200] if text_.strip() else ""


def _may_see_details(request: Request) -> bool:
    """Details are for whoever may read the API: the API token, or (without one) loopback."""
    try:
        require_api_token(request)
    except HTTPException:
        return False
    return True


@router.get("/health")
async def health(request: Request) -> JSONResponse:
    """Whether the store answers and the worker runs: ``{"status": "ok"|"degraded"}``
    (503 when degraded). Counts, the worker's figures and the reasons come only with the
    API token (``Authorization: Bearer``), as the API itself."""
    services = services_of(request)
    details = _may_see_details(request)
    try:
        store = await run_in_threadpool(_health, services.store, details)
    except Exception as exc:  # noqa: BLE001 - health reports failures, it does not raise them
        store = {"ok": False, "error": type(exc).__name__}
        store["reason"] = first_line(str(getattr(exc, "orig", None) or exc))
    worker = services.running_worker if services.settings.worker_enabled else None
    healthy = store["ok"] and (worker is None or worker.alive)
    status = {"status": "ok" if healthy else "degraded"}
    if not details:
        return JSONResponse(status, status_code=200 if healthy else 503)
    worker_info: dict[str, Any] = {"enabled": worker is not None}
    if worker is not None:
        worker_info.update(
            alive=worker.alive,
            events_processed=worker.status.events_processed,
            actions_run=worker.status.actions_run,
            last_error=first_line(worker.status.last_error),
        )
    body = {**status, "store": store, "worker": worker_info}
    return JSONResponse(body, status_code=200 if healthy else 503)


@protected.get("/api/groups")
def groups(
    request: Request,
    status: Literal["open", "resolved", "ignored"] | None = None,
    source: Annotated[str | None, Query(max_length=64, pattern=r"^[\w.:-]+$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Groups, most recently seen first; filter by status and source."""
    store: Store = request.app.state.store
    with store.reading() as session:
        rows, total = list_groups(session, status=status, source=source, limit=limit, offset=offset)
        return {
            "groups": [group_summary(session, g) for g in rows],
            "total": total,
            "limit": limit,
            "offset": offset,
        }


@protected.get("/api/groups/{group_id}")
def group(request: Request, group_id: RowId) -> dict[str, Any]:
    """One group with its latest event, counts, analysis, tracker item and actions."""
    store: Store = request.app.state.store
    with store.reading() as session:
        row = session.get(Group, group_id)
        if row is None:
            raise HTTPException(404, f"no group {group_id}")
        return group_detail(session, row)


@protected.post("/trigger-scan")
def trigger_scan(request: Request) -> JSONResponse:
    """Start a scan of the pull sources now: 202 with its id, 409 if one is running."""
    outcome = services_of(request).scans.start("api")
    status = {"started": 202, "already_running": 409}.get(outcome["status"], 200)
    return JSONResponse(outcome, status_code=status)
