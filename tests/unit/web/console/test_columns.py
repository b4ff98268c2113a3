"""The list's columns: chosen by the operator, held in the URL, set by a plain form."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from autotriage.web.console.queries import DEFAULT_COLUMNS, View
from tests.console_data import login


def headers(html: str) -> list[str]:
    head = re.search(r"<thead>(.*?)</thead>", html, re.S)
    assert head, "no table head"
    cells = re.findall(r'<th scope="col"[^>]*>(.*?)</th>', head.group(1), re.S)
    return [re.sub(r"<[^>]+>|▼", "", c).strip() for c in cells if "select-all" not in c]


def test_the_default_columns(client: TestClient, ids: dict[str, int]) -> None:
    del ids
    login(client)
    assert headers(client.get("/").text) == [
        "Level",
        "Error",
        "Events (24h)",
        "Count",
        "Users",
        "First seen",
        "Last seen",
        "Status",
        "Assignee",
        "Issue / PR",
    ]


def test_columns_from_the_url_and_links_keep_them(client: TestClient, ids: dict[str, int]) -> None:
    del ids
    login(client)
    page = client.get("/?cols=service,count,environment").text
    # shown in the list's own order, whatever order the URL gives
    assert headers(page) == ["Error", "Service", "Environment", "Count"]
    assert "cols=service%2Cenvironment%2Ccount" in page  # sort and page links keep the choice
    # a hidden service column puts the service back under the title as a chip
    assert 'class="chip svc"' not in page
    assert 'class="chip svc"' in client.get("/?cols=count").text


def test_the_column_form_works_without_javascript(client: TestClient, ids: dict[str, int]) -> None:
    del ids
    login(client)
    page = client.get("/").text
    boxes = re.findall(r'<input type="checkbox" name="col" value="(\w+)" (checked)?', page)
    assert [name for name, checked in boxes if checked] == list(DEFAULT_COLUMNS)
    # what the browser sends when the form is submitted: the ticked boxes, the empty marker;
    # answered with the same view's short URL
    sent = client.get("/?status=open&cols=&col=users&col=source&service=checkout")
    assert sent.status_code == 303
    assert sent.headers["location"] == "/?status=open&service=checkout&cols=source%2Cusers"
    assert headers(client.get(sent.headers["location"]).text) == ["Error", "Source", "Users"]
    # every box cleared is a choice too: only the error column is left
    assert headers(client.get("/?status=open&cols=").text) == ["Error"]


def test_unknown_columns_are_ignored() -> None:
    view = View.parse({"cols": "count,<script>,users"})
    assert view.columns == ("count", "users")
    assert View.parse({}).columns == DEFAULT_COLUMNS
    assert "cols" not in View.parse({}).query()
