"""A small read-only dashboard: the groups, and the issue each would have on GitHub.

Server-rendered HTML with no scripts. When ``AUTOTRIAGE_API_TOKEN`` is set, the browser
is asked for it through HTTP Basic auth (any user name, the token as password), or a
bearer token is accepted as for the API.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from html import escape
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse

from autotriage.reports import group_detail, group_summary
from autotriage.store import Store
from autotriage.store.groups import list_groups
from autotriage.store.tables import Group
from autotriage.web.params import RowId

STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.35rem;
text-align:left;vertical-align:top}pre{background:#f6f8fa;padding:1rem;overflow:auto;
white-space:pre-wrap}.s-open{color:#b00}.s-resolved{color:#080}.s-ignored{color:#777}
a{color:#0550ae}
"""


def _authorized(request: Request) -> None:
    token = request.app.state.settings.api_token
    if token is None:
        return
    expected = token.get_secret_value().encode()
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    given = value.strip().encode()
    if scheme.lower() == "basic":
        try:
            given = base64.b64decode(given, validate=True).partition(b":")[2]
        except (binascii.Error, ValueError):
            given = b""
    if scheme.lower() not in ("basic", "bearer") or not hmac.compare_digest(given, expected):
        raise HTTPException(
            401, "the API token is required", {"www-authenticate": 'Basic realm="autotriage"'}
        )


router = APIRouter(dependencies=[Depends(_authorized)], include_in_schema=False)


def _page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><html><head><meta charset=utf-8><title>{escape(title)}</title>"
        f"<style>{STYLE}</style></head><body>{body}</body></html>"
    )


def _row(group: dict[str, Any]) -> str:
    links = ", ".join(
        f'<a href="{escape(link["url"])}">{escape(link["tracker"])}#{escape(link["id"])}</a>'
        if link["url"] and link["url"].startswith("http")
        else f"{escape(link['tracker'])}#{escape(link['id'])}"
        for link in group["links"]
    )
    return (
        f"<tr><td><a href='/groups/{group['id']}'>{group['id']}</a></td>"
        f"<td class='s-{escape(group['status'])}'>{escape(group['status'])}</td>"
        f"<td>{escape(group['level'])}</td><td>{group['count']}</td>"
        f"<td>{escape(group['last_seen'][:19])}</td><td>{escape(', '.join(group['sources']))}</td>"
        f"<td><a href='/groups/{group['id']}'>{escape(group['title'])}</a></td>"
        f"<td>{links or '—'}</td></tr>"
    )


@router.get("/", response_class=HTMLResponse)
def index(request: Request) -> HTMLResponse:
    """Groups, most recently seen first."""
    store: Store = request.app.state.store
    with store.reading() as session:
        rows, total = list_groups(session, limit=200)
        groups = [group_summary(session, g) for g in rows]
    head = (
        "<tr><th>id</th><th>status</th><th>level</th><th>count</th><th>last seen</th>"
        "<th>sources</th><th>title</th><th>tracker</th></tr>"
    )
    empty = (
        "<p>No errors yet. Send one to a webhook, or run <code>autotriage replay --act</code>.</p>"
    )
    table = f"<table>{head}{''.join(map(_row, groups))}</table>" if groups else empty
    return _page("autotriage", f"<h1>autotriage</h1><p>{total} groups</p>{table}")


@router.get("/groups/{group_id}", response_class=HTMLResponse)
def group_page(request: Request, group_id: RowId) -> HTMLResponse:
    """One group: the issue as rendered, and the actions with their outcomes."""
    store: Store = request.app.state.store
    with store.reading() as session:
        group = session.get(Group, group_id)
        if group is None:
            raise HTTPException(404, f"no group {group_id}")
        detail = group_detail(session, group)
    item = detail["tracker_item"]
    issue = (
        f"<h2>{escape(item['title'])}</h2><pre>{escape(item['body'])}</pre>"
        if item
        else "<p>No issue rendered yet.</p>"
    )
    actions = "".join(
        f"<tr><td>{escape(a['kind'])}</td><td>{escape(a['status'])}</td><td>{a['attempts']}</td>"
        f"<td>{escape(a['detail'] or '')}</td></tr>"
        for a in detail["actions"]
    )
    body = (
        f"<p><a href='/'>&larr; all groups</a></p><h1>Group {group_id}</h1>"
        f"<p>{escape(detail['status'])} · {escape(detail['level'])} · {detail['count']} "
        f"occurrences · fingerprint <code>{escape(detail['fingerprint'])}</code></p>{issue}"
        f"<h2>Actions</h2><table><tr><th>kind</th><th>status</th><th>attempts</th>"
        f"<th>detail</th></tr>{actions}</table>"
    )
    return _page(f"autotriage · group {group_id}", body)
