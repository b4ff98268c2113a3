"""The console in-process: login, CSRF, filters, actions and the audit log."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from autotriage.config import Settings
from autotriage.store.audit import AuditEntry
from autotriage.store.tables import Action, Group
from autotriage.web.app import create_app
from autotriage.web.console.access import COOKIE
from tests.console_data import TOKEN, XSS_TITLE, csrf_of, login, seed


def test_pages_need_a_login_and_the_cookie_is_httponly_and_samesite(client: TestClient) -> None:
    page = client.get("/?status=resolved")
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=%2F%3Fstatus%3Dresolved"
    wrong = client.post("/login", data={"name": "x", "token": "nope", "next": "/"})
    assert wrong.headers["location"].endswith("error=1")
    assert COOKIE not in wrong.headers.get("set-cookie", "")
    right = client.post("/login", data={"name": "ana", "token": TOKEN, "next": "//evil.test/"})
    assert right.headers["location"] == "/"  # never redirected off-site
    cookie = right.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert client.get("/").status_code == 200


def test_console_pages_send_csp_and_nosniff(client: TestClient) -> None:
    login(client)
    for path in ("/", "/sources", "/login", "/static/console/console.css"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert response.headers["x-content-type-options"] == "nosniff"


def test_a_forged_cookie_is_refused(client: TestClient) -> None:
    client.cookies.set(COOKIE, "eyJhIjoibWFsbG9yeSJ9.forged")
    assert client.get("/").status_code == 303


def test_script_title_is_escaped_everywhere(client: TestClient, ids: dict[str, int]) -> None:
    login(client)
    listing = client.get("/?q=script").text
    assert XSS_TITLE not in listing
    assert "&lt;script&gt;window.__xss=1;alert(1)&lt;/script&gt;" in listing
    detail = client.get(f"/groups/{ids['xss']}").text
    assert XSS_TITLE not in detail
    assert "&lt;script&gt;" in detail


def rows(html: str) -> list[str]:
    return re.findall(r'class="title" href="/groups/\d+">([^<]+)<', html)


def test_filters_sorting_and_the_url_hold_the_view(client: TestClient, ids: dict[str, int]) -> None:
    login(client)
    assert len(rows(client.get("/").text)) == 4
    assert rows(client.get("/?service=payments").text) == [
        "TimeoutError: upstream payments timed out"
    ]
    assert [r.split(":")[0] for r in rows(client.get("/?environment=staging").text)] == [
        "ZeroDivisionError"
    ]
    assert len(rows(client.get("/?source=sentry").text)) == 1
    assert len(rows(client.get("/?release=1.5.0").text)) == 1
    assert len(rows(client.get("/?q=SKU").text)) == 1  # case-insensitive, title or culprit
    # "first seen in the last 24 h" excludes the group first seen 30 h ago; "seen in" keeps it
    first = rows(client.get("/?range=24h&range_on=first_seen").text)
    assert not any(r.startswith("TimeoutError") for r in first)
    seen = rows(client.get("/?range=24h&range_on=last_seen").text)
    assert any(r.startswith("TimeoutError") for r in seen)
    assert not any(r.startswith("ZeroDivision") for r in seen)  # last seen 40 h ago
    # trend: most occurrences in the last 24 h first (KeyError has 4)
    assert rows(client.get("/?sort=trend").text)[0].startswith("KeyError")
    assert rows(client.get("/?sort=first_seen").text)[0].startswith(("KeyError", "ValueError"))
    page = client.get("/?service=payments&sort=count&spark=14d").text
    assert "service=payments" in page and "spark=14d" in page  # links keep the view


def test_sparklines_come_from_hourly_buckets(client: TestClient, ids: dict[str, int]) -> None:
    login(client)
    page = client.get("/?service=checkout").text
    assert 'aria-label="4 occurrences"' in page
    page = client.get("/?service=payments&spark=14d").text
    assert 'aria-label="2 occurrences"' in page
    page = client.get("/?service=payments&spark=24h").text
    assert 'aria-label="1 occurrences"' in page


def test_resolve_needs_csrf_and_is_audited_with_who(
    app: FastAPI, client: TestClient, ids: dict[str, int]
) -> None:
    csrf = login(client, "ana")
    gid = ids["keyerror"]
    refused = client.post(f"/console/groups/{gid}/status", data={"change": "resolve"})
    assert refused.status_code == 403
    done = client.post(
        f"/console/groups/{gid}/status",
        data={"change": "resolve_next", "csrf": csrf, "next": f"/groups/{gid}"},
    )
    assert done.status_code == 303
    page = client.get(done.headers["location"]).text
    assert "resolved in the next release" in page
    assert "occurrences in <code>1.4.0</code> or older do not reopen it" in page
    with app.state.store.reading() as session:
        group = session.get(Group, gid)
        assert group is not None and group.status == "resolved"
        assert group.resolved_in_release == "1.4.0"
        audit = session.query(AuditEntry).filter_by(group_id=gid).one()
        assert (audit.actor, audit.action) == ("ana", "resolve_next")
    assert "ana" in page and "resolve_next" in page


def test_bulk_ignore_and_reopen(app: FastAPI, client: TestClient, ids: dict[str, int]) -> None:
    csrf = login(client)
    two = [ids["timeout"], ids["staging"]]
    response = client.post(
        "/console/bulk", data={"change": "ignore", "group": two, "csrf": csrf, "next": "/"}
    )
    assert response.status_code == 303
    assert "2+of+2+groups+ignored" in response.headers["location"]
    with app.state.store.reading() as session:
        assert {session.get(Group, g).status for g in two} == {"ignored"}  # type: ignore[union-attr]
    client.post(f"/console/groups/{two[0]}/status", data={"change": "reopen", "csrf": csrf})
    with app.state.store.reading() as session:
        assert session.get(Group, two[0]).status == "open"  # type: ignore[union-attr]


def test_retry_a_failed_action_and_rerun_analysis(
    app: FastAPI, client: TestClient, ids: dict[str, int]
) -> None:
    csrf = login(client)
    gid = ids["keyerror"]
    store = app.state.store
    with store.transaction() as session:
        action = session.query(Action).filter_by(group_id=gid).first()
        assert action is not None
        action.status, action.detail, action.attempts = "permanent", "HTTP 422: boom", 12
        action_id = action.id
    page = client.get(f"/groups/{gid}").text
    assert f'aria-label="Retry action {action_id}"' in page and "HTTP 422: boom" in page
    client.post(f"/console/actions/{action_id}/retry", data={"csrf": csrf})
    client.post(f"/console/groups/{gid}/analyze", data={"csrf": csrf})
    with store.reading() as session:
        retried = session.get(Action, action_id)
        assert retried is not None and (retried.status, retried.attempts) == ("pending", 0)
        keys = [a.idempotency_key for a in session.query(Action).filter_by(group_id=gid)]
        assert any(":console:" in k for k in keys)
        actions = [e.action for e in session.query(AuditEntry).filter_by(group_id=gid)]
        assert actions == ["retry", "analyze"]


def test_bad_input_is_a_clear_4xx(client: TestClient, ids: dict[str, int]) -> None:
    csrf = login(client)
    bad = client.post(
        f"/console/groups/{ids['xss']}/status", data={"change": "explode", "csrf": csrf}
    )
    assert bad.status_code == 400 and "unknown change" in bad.text
    missing = client.get("/groups/99999")
    assert missing.status_code == 404 and "no group 99999" in missing.text
    ids_bad = client.post("/console/bulk", data={"change": "ignore", "group": "x", "csrf": csrf})
    assert ids_bad.status_code == 400
    with client.app.state.store.transaction() as session:  # type: ignore[attr-defined]
        session.get(Group, ids["xss"]).last_release = None  # type: ignore[union-attr]
    no_release = client.post(
        f"/console/groups/{ids['xss']}/status", data={"change": "resolve_next", "csrf": csrf}
    )
    assert no_release.status_code == 400 and "name no release" in no_release.text


def make_local(make_settings: Callable[..., Settings], host: str) -> Any:
    app = create_app(make_settings(AUTOTRIAGE_WORKER="false"))
    return TestClient(app, follow_redirects=False, client=(host, 50000))


def test_without_a_token_loopback_writes_and_others_only_read(
    make_settings: Callable[..., Settings],
) -> None:
    with make_local(make_settings, "127.0.0.1") as local:
        ids = seed(local.app.state.services)
        page = local.get("/")
        assert "read-write because you are on loopback" in page.text
        done = local.post(
            f"/console/groups/{ids['xss']}/status",
            data={"change": "ignore", "csrf": csrf_of(page.text)},
        )
        assert done.status_code == 303
    with make_local(make_settings, "203.0.113.9") as remote:
        page = remote.get("/")
        assert page.status_code == 200 and "read-only from this address" in page.text
        assert 'action="/console/bulk"' in page.text  # the list still renders
        refused = remote.post(
            f"/console/groups/{ids['keyerror']}/status",
            data={"change": "ignore", "csrf": csrf_of(page.text)},
        )
        assert refused.status_code == 403 and "read-only" in refused.text
