"""The console's routes: the groups list, a group, the sources, the login, and the forms.

Pages are plain GETs that work without JavaScript; every change is a POSTed form with a
CSRF token, answered with a redirect back to where it came from (post/redirect/get).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from autotriage.models import utcnow
from autotriage.store.tables import Group
from autotriage.web.console import changes, detail, queries
from autotriage.web.console.access import COOKIE, SESSION_SECONDS, Access, Session
from autotriage.web.console.render import environment
from autotriage.web.ingest import read_body, services_of
from autotriage.web.params import INT64_MAX, RowId

MAX_FORM_BYTES = 64 * 1024
GITHUB_LOGIN = re.compile(r"[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}")
ASSIGN = {"assign": "assigned to you", "unassign": "unassigned"}
DONE = {
    "resolve": "resolved",
    "resolve_next": "resolved in the next release",
    "ignore": "ignored",
    "reopen": "reopened",
}


class PageError(HTTPException):
    """An error on a console page, answered as an HTML page rather than JSON."""


class Console:
    """Per-app console state: the template environment and the session keys."""

    def __init__(self, access: Access) -> None:
        self.access = access
        self.templates = environment()


def console_of(request: Request) -> Console:
    """The app's console (set by `autotriage.web.routes.dashboard.install`)."""
    console: Console = request.app.state.console
    return console


def _session(request: Request) -> tuple[Session, str | None]:
    """The visitor's session, and a fresh cookie to set when a local visitor has none."""
    access = console_of(request).access
    session = access.session(request)
    if session is None:
        raise PageError(303, "log in first", {"location": _login_url(request)})
    if not session.nonce and not access.required:
        cookie = access.issue(session.actor)
        found = access.read(cookie)
        assert found is not None  # noqa: S101 - just issued
        return Session(session.actor, found[1], session.can_write, False, found[2]), cookie
    return session, None


def _login_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return "/login?" + urlencode({"next": target})


def _page(request: Request, template: str, **context: Any) -> HTMLResponse:
    session, cookie = _session(request)
    console = console_of(request)
    html = console.templates.get_template(template).render(
        session=session,
        csrf=console.access.csrf_token(session),
        login_required=console.access.required,
        notice=request.query_params.get("notice", "")[:200],
        path=request.url.path,
        now=utcnow(),
        **context,
    )
    response = HTMLResponse(html)
    response.headers["cache-control"] = "no-store"
    if cookie is not None:
        _set_cookie(request, response, cookie)
    return response


def _set_cookie(request: Request, response: Response, value: str) -> None:
    response.set_cookie(
        COOKIE,
        value,
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


def _safe_next(target: str | None, default: str = "/") -> str:
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def _with_notice(target: str, notice: str) -> str:
    path, hash_, fragment = target.partition("#")
    joiner = "&" if "?" in path else "?"
    return f"{path}{joiner}{urlencode({'notice': notice})}{hash_}{fragment}"


async def _form(request: Request) -> tuple[Session, dict[str, list[str]]]:
    """The posted form, once its session may write and its CSRF token checks out."""
    access = console_of(request).access
    session = access.session(request)
    if session is None:
        raise PageError(401, "log in to change anything")
    body = await read_body(request, MAX_FORM_BYTES)
    form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    if not access.csrf_ok(session, (form.get("csrf") or [""])[0]):
        raise PageError(403, "the form's CSRF token is missing or stale; reload the page")
    if not session.can_write:
        raise PageError(
            403, "read-only: set AUTOTRIAGE_API_TOKEN and log in, or use the console on loopback"
        )
    return session, form


def _wake(request: Request, result: dict[str, Any]) -> None:
    """Let the worker run the issue closes/reopens a status change planned, now."""
    services = services_of(request)
    if result.get("planned") and services.server.worker_enabled:
        services.worker.wake()


def _one(form: dict[str, list[str]], name: str) -> str:
    return (form.get(name) or [""])[0]


def _back(form: dict[str, list[str]], notice: str, default: str = "/") -> RedirectResponse:
    return RedirectResponse(_with_notice(_safe_next(_one(form, "next"), default), notice), 303)


router = APIRouter(include_in_schema=False)


async def page_error(request: Request, exc: Exception) -> Response:
    """Render a `PageError` as a small HTML page (a redirect stays a redirect)."""
    assert isinstance(exc, PageError)  # noqa: S101 - registered for PageError only
    if exc.status_code in (301, 302, 303, 307):
        return RedirectResponse(dict(exc.headers or {})["location"], exc.status_code)
    html = (
        console_of(request)
        .templates.get_template("error.html")
        .render(status=exc.status_code, message=exc.detail, session=None, path="", notice="")
    )
    return HTMLResponse(html, status_code=exc.status_code, headers=exc.headers)


@router.get("/", response_class=HTMLResponse, response_model=None)
def groups_list(request: Request) -> Response:
    """The groups list: filters, sort, columns and page all come from the query string.

    The column form sends one ``col`` per ticked box; that view is redirected to its
    short form (``cols=a,b``), the URL to share.
    """
    params = request.query_params
    view = queries.View.parse(dict(params), params.getlist("col"))
    if "col" in params:
        return RedirectResponse(f"/?{view.query()}", 303)
    visitor = console_of(request).access.session(request)
    store = services_of(request).store
    with store.reading() as session:
        data = queries.list_page(session, view, utcnow(), visitor.actor if visitor else "")
        counts = queries.status_counts(session)
    return _page(request, "list.html", view=view, counts=counts, queries=queries, **data)


@router.get("/groups/{group_id}", response_class=HTMLResponse)
def group_page(request: Request, group_id: RowId) -> HTMLResponse:
    """One group: summary, graph, trace, analysis, links, fix attempt, events and actions."""
    services = services_of(request)
    with services.store.reading() as session:
        group = session.get(Group, group_id)
        if group is None:
            raise PageError(404, f"no group {group_id}")
        data = detail.group_page(session, group, utcnow(), services.scrub)
    return _page(request, "group.html", **data)


@router.get("/sources", response_class=HTMLResponse)
def sources_page(request: Request) -> HTMLResponse:
    """Each source's deliveries and errors, the scans, the outbox and the worker."""
    services = services_of(request)
    with services.store.reading() as session:
        data = {
            "sources": detail.source_health(session, utcnow()),
            "scans": detail.scan_history(session),
            "cursors": detail.cursors(session),
            "outbox": detail.outbox_depth(session),
        }
    worker = services.worker
    return _page(
        request,
        "sources.html",
        worker={
            "enabled": services.server.worker_enabled,
            "alive": worker.alive,
            "status": worker.status,
        },
        rate_limit=services.metrics.rate_limit_remaining(),
        github_configured=services.github.configured,
        scans_configured=services.scans.configured,
        **data,
    )


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    """The login form (only needed when a token is configured)."""
    console = console_of(request)
    html = console.templates.get_template("login.html").render(
        next=_safe_next(request.query_params.get("next")),
        error=request.query_params.get("error") == "1",
        login_required=console.access.required,
        session=None,
        path="/login",
        notice="",
    )
    return HTMLResponse(html, headers={"cache-control": "no-store"})


@router.post("/login")
async def login(request: Request) -> Response:
    """Check the token; on success set the session cookie and go where the user was going."""
    access = console_of(request).access
    # Capped while it arrives: anyone may post here, and a whole body held in memory
    # before its size was checked let one request take a gigabyte.
    body = await read_body(request, MAX_FORM_BYTES)
    form = parse_qs(body.decode("utf-8", "replace"))
    target = _safe_next(_one(form, "next"))
    if not access.check_token(_one(form, "token")):
        return RedirectResponse("/login?" + urlencode({"next": target, "error": "1"}), 303)
    github = _one(form, "github").strip().removeprefix("@")
    if github and not GITHUB_LOGIN.fullmatch(github):
        raise PageError(400, "a GitHub login is letters, digits and inner hyphens, at most 39")
    name = _one(form, "name").strip() or github or "operator"
    response = RedirectResponse(target, 303)
    _set_cookie(request, response, access.issue(name, github))
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    """Forget the session cookie."""
    await _form(request)
    response = RedirectResponse("/login" if console_of(request).access.required else "/", 303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.post("/console/groups/{group_id}/status")
async def change_one(request: Request, group_id: RowId) -> Response:
    """Resolve (now or in the next release), ignore or reopen one group."""
    session, form = await _form(request)
    change = _one(form, "change")
    if change not in changes.STATUS_CHANGES:
        raise PageError(400, f"unknown change {change!r}")
    store = services_of(request).store
    result = await run_in_threadpool(
        changes.change_status, store, [group_id], change, session.actor, utcnow()
    )
    if result["missing"]:
        raise PageError(404, f"no group {group_id}")
    if result["refused"]:
        raise PageError(400, f"group {group_id}'s events name no release: resolve it now instead")
    _wake(request, result)
    notice = f"Group {group_id} {DONE[change]}." if result["changed"] else "Nothing changed."
    return _back(form, notice, f"/groups/{group_id}")


@router.post("/console/bulk")
async def change_many(request: Request) -> Response:
    """Resolve or ignore every ticked group of the list."""
    session, form = await _form(request)
    change = _one(form, "change")
    if change not in ("resolve", "ignore", *ASSIGN):
        raise PageError(400, "bulk changes are resolve, ignore, assign or unassign")
    try:
        ids = [int(v) for v in form.get("group", [])][:500]
    except ValueError:
        raise PageError(400, "group ids must be integers") from None
    if not all(1 <= gid <= INT64_MAX for gid in ids):
        raise PageError(400, "group ids must be between 1 and 2**63-1")
    if not ids:
        return _back(form, "Tick at least one group first.")
    store = services_of(request).store
    if change in ASSIGN:
        result = await run_in_threadpool(
            changes.assign,
            store,
            ids,
            session.actor,
            utcnow(),
            to_me=change == "assign",
            github=session.github,
        )
        _wake(request, result)
        return _back(form, f"{len(result['changed'])} of {len(ids)} groups {ASSIGN[change]}.")
    result = await run_in_threadpool(
        changes.change_status, store, ids, change, session.actor, utcnow()
    )
    _wake(request, result)
    return _back(form, f"{len(result['changed'])} of {len(ids)} groups {DONE[change]}.")


@router.post("/console/groups/{group_id}/assign")
async def assign_one(request: Request, group_id: RowId) -> Response:
    """Assign one group to the operator posting the form, or unassign it."""
    session, form = await _form(request)
    change = _one(form, "change")
    if change not in ASSIGN:
        raise PageError(400, "change must be assign or unassign")
    result = await run_in_threadpool(
        changes.assign,
        services_of(request).store,
        [group_id],
        session.actor,
        utcnow(),
        to_me=change == "assign",
        github=session.github,
    )
    if result["missing"]:
        raise PageError(404, f"no group {group_id}")
    _wake(request, result)
    notice = f"Group {group_id} {ASSIGN[change]}." if result["changed"] else "Nothing changed."
    return _back(form, notice, f"/groups/{group_id}")


@router.post("/console/actions/{action_id}/retry")
async def retry(request: Request, action_id: RowId) -> Response:
    """Make a failed action due again."""
    session, form = await _form(request)
    services = services_of(request)
    action = await run_in_threadpool(
        changes.retry_action, services.store, action_id, session.actor, utcnow()
    )
    if action is None:
        return _back(form, f"Action {action_id} is not a failed action.")
    if services.server.worker_enabled:
        services.worker.wake()
    return _back(form, f"Action {action_id} ({action.kind}) will run again.")


@router.post("/console/groups/{group_id}/analyze")
async def analyze(request: Request, group_id: RowId) -> Response:
    """Queue a new analysis of the group's latest event."""
    session, form = await _form(request)
    services = services_of(request)
    found = await run_in_threadpool(
        changes.rerun_analysis, services.store, group_id, session.actor, utcnow()
    )
    if not found:
        raise PageError(404, f"no group {group_id}")
    if services.server.worker_enabled:
        services.worker.wake()
    return _back(form, "Analysis queued.", f"/groups/{group_id}")


@router.post("/console/scan")
async def scan(request: Request) -> Response:
    """Start a scan of the pull sources now."""
    session, form = await _form(request)
    services = services_of(request)
    outcome = await run_in_threadpool(services.scans.start, "console")
    await run_in_threadpool(changes.audit_scan, services.store, outcome, session.actor, utcnow())
    words = {"started": "Scan started.", "already_running": "A scan is already running."}
    return _back(
        form, words.get(str(outcome.get("status")), str(outcome.get("status"))), "/sources"
    )
