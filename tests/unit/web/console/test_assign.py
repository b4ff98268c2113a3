"""'Assign to me' from a group's page and from the list, its filter, and its audit entries."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from autotriage.store.audit import AuditEntry
from autotriage.store.tables import Group
from tests.console_data import login
from tests.unit.web.console.test_pages import rows


def _assignee(app: FastAPI, gid: int) -> str | None:
    with app.state.store.reading() as session:
        group = session.get(Group, gid)
        assert group is not None
        return group.assignee


def test_assign_to_me_and_unassign_from_the_group_page(
    app: FastAPI, client: TestClient, ids: dict[str, int]
) -> None:
    csrf = login(client, "ana")
    gid = ids["keyerror"]
    page = client.get(f"/groups/{gid}").text
    assert 'value="assign">Assign to me</button>' in page
    done = client.post(f"/console/groups/{gid}/assign", data={"change": "assign", "csrf": csrf})
    assert done.status_code == 303 and "assigned+to+you" in done.headers["location"]
    assert _assignee(app, gid) == "ana"
    page = client.get(f"/groups/{gid}").text
    assert '<dd id="assignee">ana</dd>' in page and 'value="unassign">Unassign' in page
    again = client.post(f"/console/groups/{gid}/assign", data={"change": "assign", "csrf": csrf})
    assert "Nothing+changed" in again.headers["location"]  # no second audit entry
    client.post(f"/console/groups/{gid}/assign", data={"change": "unassign", "csrf": csrf})
    assert _assignee(app, gid) is None
    with app.state.store.reading() as session:
        audit = session.scalars(
            select(AuditEntry).where(AuditEntry.group_id == gid).order_by(AuditEntry.id)
        ).all()
    assert [(e.actor, e.action, e.detail) for e in audit] == [
        ("ana", "assign", {"from": None, "to": "ana"}),
        ("ana", "unassign", {"from": "ana", "to": None}),
    ]


def test_bad_assign_requests_are_4xx(client: TestClient, ids: dict[str, int]) -> None:
    csrf = login(client)
    bad = client.post(
        f"/console/groups/{ids['keyerror']}/assign", data={"change": "steal", "csrf": csrf}
    )
    assert bad.status_code == 400 and "assign or unassign" in bad.text
    missing = client.post("/console/groups/99999/assign", data={"change": "assign", "csrf": csrf})
    assert missing.status_code == 404
    stale = client.post(
        f"/console/groups/{ids['keyerror']}/assign", data={"change": "assign", "csrf": "x"}
    )
    assert stale.status_code == 403


def test_bulk_assign_the_column_and_the_assigned_to_me_filter(
    app: FastAPI, client: TestClient, ids: dict[str, int]
) -> None:
    csrf = login(client, "ana")
    two = [ids["timeout"], ids["staging"]]
    done = client.post(
        "/console/bulk", data={"change": "assign", "group": two, "csrf": csrf, "next": "/"}
    )
    assert "2+of+2+groups+assigned+to+you" in done.headers["location"]
    listing = client.get("/").text
    assert '<th scope="col">Assignee</th>' in listing
    assert listing.count('<td class="assignee">ana</td>') == 2
    mine = rows(client.get("/?assigned=me").text)
    assert sorted(r.split(":")[0] for r in mine) == ["TimeoutError", "ZeroDivisionError"]
    assert len(rows(client.get("/?assigned=none").text)) == 2
    # another operator's "me" is someone else
    bo_csrf = login(client, "bo")
    assert rows(client.get("/?assigned=me").text) == []
    client.post("/console/bulk", data={"change": "unassign", "group": two[:1], "csrf": bo_csrf})
    assert _assignee(app, two[0]) is None and _assignee(app, two[1]) == "ana"
