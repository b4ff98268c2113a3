"""Scans API: ``GET /api/scans`` and ``GET /api/scans/{id}`` (progress of a running scan)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request

from autotriage.store.scans import get_scan, recent_scans
from autotriage.web.auth import require_api_token
from autotriage.web.params import RowId

router = APIRouter(dependencies=[Depends(require_api_token)])


@router.get("/api/scans")
def scans(request: Request, limit: Annotated[int, Query(ge=1, le=100)] = 20) -> dict[str, Any]:
    """The latest scans, newest first."""
    return {"scans": recent_scans(request.app.state.store, limit)}


@router.get("/api/scans/{scan_id}")
def scan(request: Request, scan_id: RowId) -> dict[str, Any]:
    """One scan: status, trigger, progress (log groups, events read, errors found) and error."""
    found = get_scan(request.app.state.store, scan_id)
    if found is None:
        raise HTTPException(404, f"no scan {scan_id}")
    return found
