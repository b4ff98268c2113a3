"""The console in a real browser: Debian's chromium driven by Playwright (no download).

Logs in, chooses the list's columns, filters the list, opens a group (its fix attempt
and users affected) and resolves it (which closes its issue), bulk-ignores two groups,
retries a failed action, and checks that a ``<script>`` title stays text. With JavaScript
off, the column form and the filters still work. Screenshots of
the list and the detail page are saved under the folder the test prints
(``$AUTOTRIAGE_TEST_ARTIFACTS/console``, default ``tests/e2e/console/screenshots``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, expect, sync_playwright

from autotriage.actions import build_handlers
from autotriage.actions.outbox import run_due
from autotriage.config import Settings
from autotriage.store.tables import Action, Group
from autotriage.web.app import create_app
from tests.console_data import XSS_TITLE, seed, seed_fix_attempt
from tests.support import REPO_ROOT

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TOKEN = "browser-test-token"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install -y chromium"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def artifacts() -> Path:
    # Not build/ at the root: ruff would then take `import build` for first-party code.
    default = REPO_ROOT / "tests" / "e2e" / "console" / "screenshots"
    given = os.environ.get("AUTOTRIAGE_TEST_ARTIFACTS")
    folder = Path(given) / "console" if given else default
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nconsole screenshots: {folder}")  # noqa: T201 - the test says where they are
    return folder


def test_operator_session_in_chromium(
    browser: Browser,
    artifacts: Path,
    make_settings: Callable[..., Settings],
    serve_app: Callable[[FastAPI], httpx.Client],
) -> None:
    app = create_app(make_settings(AUTOTRIAGE_WORKER="false", AUTOTRIAGE_API_TOKEN=TOKEN))
    base = str(serve_app(app).base_url)
    services = app.state.services
    ids = seed(services)
    seed_fix_attempt(services, ids["keyerror"])
    store = services.store
    with store.transaction() as session:
        failed = session.query(Action).filter_by(group_id=ids["timeout"]).first()
        assert failed is not None
        failed.status, failed.attempts = "permanent", 12
        failed.detail = "GitHub answered 422: Validation Failed (labels)"
        failed_id = failed.id

    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    # log in: the list redirects to the form, and back after it
    page.goto(base + "/")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.get_by_label("Your name").fill("Ana On-call")
    page.get_by_label("API token").fill(TOKEN)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Groups")).to_be_visible()
    expect(page.locator("table.groups tbody tr")).to_have_count(4)

    # the <script> title is text: shown literally, never run
    title = page.locator("a.title", has_text="<script>")
    expect(title).to_have_text(f"ValueError: {XSS_TITLE}")
    assert page.evaluate("window.__xss") is None
    assert page.locator("script:not([src])").count() == 0
    # users affected, counted by the pipeline
    keyerror = page.locator("tr", has=page.locator("a.title", has_text="KeyError"))
    expect(keyerror.locator("td.users")).to_have_text("3")
    page.screenshot(path=str(artifacts / "list.png"), full_page=True)

    # columns: chosen in a plain form, kept in the URL
    page.get_by_text("Columns", exact=True).click()
    page.get_by_label("Last seen", exact=True).uncheck()
    page.get_by_label("Environment", exact=True).check()
    page.get_by_role("button", name="Apply").click()
    assert (
        "cols=level%2Cevents%2Cenvironment%2Ccount%2Cusers%2Cfirst_seen%2Cstatus%2Cassignee%2Cissue"
        in (page.url)
    )
    heads = page.locator("table.groups thead th")
    expect(heads.filter(has_text="Environment")).to_have_count(1)
    expect(heads.filter(has_text="Last seen")).to_have_count(0)
    page.screenshot(path=str(artifacts / "list-columns.png"), full_page=True)
    page.goto(base + "/")

    # filter: the select submits by itself (progressive enhancement), the URL holds the view
    page.get_by_role("combobox", name="Service").select_option("checkout")
    expect(page).to_have_url(f"{base}/?status=open&service=checkout")
    expect(page.locator("table.groups tbody tr")).to_have_count(2)
    page.get_by_label("Search title and culprit").fill("sku")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("a.title")).to_have_text("KeyError: 'sku'")
    assert "q=sku" in page.url

    # open the group and resolve it
    page.locator("a.title").click()
    expect(page.locator("#group-title")).to_have_text("KeyError: 'sku'")
    expect(page.get_by_role("heading", name="Exception")).to_be_visible()
    expect(page.locator("#users")).to_have_text("3")
    # the fix attempt: fixer, diff, evidence and the gate that failed
    fix = page.locator("#fix")
    expect(fix.locator("#failed-gate")).to_contain_text("tests gate: broke")
    expect(fix.locator("code", has_text="python-name")).to_be_visible()
    expect(fix.locator(".d-add")).to_have_text("+    total = prices.get(sku, 0) * qty")
    expect(fix.locator(".evidence")).to_contain_text("pytest -q")
    page.screenshot(path=str(artifacts / "detail.png"), full_page=True)
    page.get_by_role("button", name="Resolve", exact=True).click()
    expect(page.get_by_role("status")).to_have_text(f"Group {ids['keyerror']} resolved.")
    expect(page.locator(".facts .badge").first).to_have_text("resolved")
    expect(page.locator(".audit")).to_contain_text("Ana On-call")
    # the resolve closed the group's issue (the local tracker's) once the outbox ran
    handlers = build_handlers(services.actions)
    while run_due(store, handlers, limit=100):
        pass
    page.reload()
    expect(page.locator("#h-issue + p")).to_contain_text("(closed)")
    page.get_by_role("button", name="Assign to me").click()
    expect(page.get_by_role("status")).to_have_text(f"Group {ids['keyerror']} assigned to you.")
    expect(page.locator("#assignee")).to_have_text("Ana On-call")
    expect(page.get_by_role("button", name="Unassign")).to_be_visible()

    # bulk-ignore two from the list, selected with the keyboard
    page.get_by_role("link", name="← All groups").click()
    page.get_by_label(f"Select group {ids['staging']}").check()
    page.get_by_label(f"Select group {ids['xss']}").focus()
    page.keyboard.press("Space")
    expect(page.locator("#selected-count")).to_have_text("2 selected")
    page.get_by_role("button", name="Ignore selected").click()
    expect(page.get_by_role("status")).to_have_text("2 of 2 groups ignored.")
    expect(page.locator("table.groups tbody tr")).to_have_count(1)
    # bulk "assign to me", then the "assigned to me" filter over every status
    page.get_by_label(f"Select group {ids['timeout']}").check()
    page.get_by_role("button", name="Assign selected to me").click()
    expect(page.get_by_role("status")).to_have_text("1 of 1 groups assigned to you.")
    page.locator("select[name=assigned]").select_option("me")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("table.groups tbody td.assignee")).to_have_text(["Ana On-call"])
    page.locator("nav.tabs a", has_text="All").click()
    expect(page).to_have_url(re.compile(r"assigned=me"))
    expect(page.locator("table.groups tbody td.assignee")).to_have_text(["Ana On-call"] * 2)

    # retry the failed action from its group's action log
    page.goto(f"{base}/groups/{ids['timeout']}")
    row = page.locator(f"#action-{failed_id}")
    expect(row).to_contain_text("422: Validation Failed")
    row.get_by_role("button", name=f"Retry action {failed_id}").click()
    expect(page.get_by_role("status")).to_contain_text(f"Action {failed_id}")
    expect(page.locator(f"#action-{failed_id} .badge")).to_have_text("pending")
    page.screenshot(path=str(artifacts / "detail-after-retry.png"), full_page=True)

    page.goto(f"{base}/sources")
    expect(page.get_by_role("heading", name="Deliveries")).to_be_visible()
    page.screenshot(path=str(artifacts / "sources.png"), full_page=True)

    with store.reading() as session:
        statuses = {gid: session.get(Group, gid).status for gid in ids.values()}  # type: ignore[union-attr]
        retried = session.get(Action, failed_id)
    assert statuses == {
        ids["keyerror"]: "resolved",
        ids["staging"]: "ignored",
        ids["xss"]: "ignored",
        ids["timeout"]: "open",
    }
    assert retried is not None and retried.status == "pending"
    assert dialogs == []  # nothing scripted ever ran
    context.close()


def test_columns_and_filters_without_javascript(
    browser: Browser,
    make_settings: Callable[..., Settings],
    serve_app: Callable[[FastAPI], httpx.Client],
) -> None:
    app = create_app(make_settings(AUTOTRIAGE_WORKER="false", AUTOTRIAGE_API_TOKEN=TOKEN))
    base = str(serve_app(app).base_url)
    seed(app.state.services)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(base + "/")
    page.get_by_label("Your name").fill("Bo")
    page.get_by_label("API token").fill(TOKEN)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("table.groups tbody tr")).to_have_count(4)
    page.get_by_text("Columns", exact=True).click()
    page.get_by_label("Service", exact=True).check()
    page.get_by_label("Events graph", exact=True).uncheck()
    page.get_by_role("combobox", name="Environment").select_option("staging")
    page.get_by_role("button", name="Apply").click()
    # the server answers the plain form with the view's short URL
    assert page.url == (
        f"{base}/?status=open&environment=staging"
        "&cols=level%2Cservice%2Ccount%2Cusers%2Cfirst_seen%2Clast_seen%2Cstatus%2Cassignee%2Cissue"
    )
    expect(page.locator("table.groups tbody tr")).to_have_count(1)
    heads = page.locator("table.groups thead th")
    expect(heads.filter(has_text="Service")).to_have_count(1)
    expect(heads.filter(has_text="Events")).to_have_count(0)
    expect(page.locator("table.groups tbody td").filter(has_text="checkout")).to_have_count(1)
    context.close()
