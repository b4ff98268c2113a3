"""The list pages through its groups (page links keep the rest of the view) and says why
it is empty."""

from __future__ import annotations

import re
from html import unescape

from fastapi import FastAPI
from fastapi.testclient import TestClient

from autotriage.models import ErrorEvent, ExceptionInfo
from autotriage.pipeline import process_pending
from autotriage.web.console.queries import PAGE_SIZE
from tests.console_data import login


def test_pages_hold_every_group_once_and_links_keep_the_view(
    app: FastAPI, client: TestClient
) -> None:
    services = app.state.services
    names = [f"{a}{b}Error" for a in "ABCDEFG" for b in "XYZW"][: PAGE_SIZE + 2]
    events = [
        ErrorEvent(
            source="generic",
            service="shop",
            exceptions=[ExceptionInfo(type=name, value="broke")],
        )
        for name in names
    ]
    services.intake.accept("generic", events)
    process_pending(services.store, services.settings.pipeline)
    login(client)
    view = "/?status=open&service=shop&sort=count&cols=count"
    first = client.get(view).text
    titles = re.findall(r'class="title" href="/groups/\d+">([^<]+)<', first)
    assert len(titles) == PAGE_SIZE
    assert "27 groups" in first and "page 1 of 2" in first
    (link,) = re.findall(r'<a rel="next" href="([^"]+)"', first)
    assert unescape(link) == "/?status=open&service=shop&sort=count&page=2&cols=count"
    second = client.get(unescape(link)).text
    rest = re.findall(r'class="title" href="/groups/\d+">([^<]+)<', second)
    assert len(rest) == 2 and not set(rest) & set(titles)
    assert 'rel="prev"' in second and 'rel="next"' not in second


def test_empty_lists_say_why(client: TestClient, app: FastAPI) -> None:
    login(client)
    assert "No errors yet." in client.get("/").text
    services = app.state.services
    services.intake.accept("generic", [ErrorEvent(source="generic", message="boom")])
    process_pending(services.store, services.settings.pipeline)
    page = client.get("/?status=resolved").text
    assert "No groups match this view." in page
    assert '1 group in all: <a href="/?status=">show every group</a>' in page
