"""Every secret kind, planted in every field, reaches neither the store, the issue, nor the logs."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text

from autotriage.actions import build_handlers
from autotriage.actions.outbox import run_due
from autotriage.actions.render import GroupView, render_issue
from autotriage.config import load_settings
from autotriage.intake import Intake
from autotriage.logs import configure_logging
from autotriage.models import ErrorEvent, ExceptionInfo, Frame
from autotriage.pipeline import process_pending
from autotriage.store import Store
from autotriage.store.events import load_event
from autotriage.store.tables import Base, Event
from autotriage.understanding.text import parse_text

# Fake secrets, one per kind; each tuple is (kind, planted text, what must never be seen).
PEM_BODY = "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0"
SECRETS: list[tuple[str, str, str]] = [
    ("aws_key", "AKIAQWERTYUIOPASDF12", "AKIAQWERTYUIOPASDF12"),
    (
        "aws_secret",
        "Xk9pLmQ2rT7vW3yZ1aB4cD6eF8gH0jK2lM4nP6qR",
        "Xk9pLmQ2rT7vW3yZ1aB4cD6eF8gH0jK2lM4nP6qR",
    ),
    (
        "github_token",
        "ghp_R4nd0mT0k3nV4lu3F0rT3st1ngOnly12345",
        "ghp_R4nd0mT0k3nV4lu3F0rT3st1ngOnly12345",
    ),
    (
        "github_pat",
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01234",
        "github_pat_11ABCDEFG0123456789",
    ),
    (
        "github_app",
        "ghs_16C7e42F292c6912E7710c838347Ae178B4a",
        "ghs_16C7e42F292c6912E7710c838347Ae178B4a",
    ),
    (
        "slack_token",
        "xoxb-2048-4096-AbCdEfGhIjKlMnOpQrStUvWx",
        "xoxb-2048-4096-AbCdEfGhIjKlMnOpQrStUvWx",
    ),
    (
        "slack_webhook",
        "https://hooks.slack.com/services/T000FAKE/B000FAKE/XXXXfakeXXXXfakeXXXX",
        "XXXXfakeXXXXfakeXXXX",
    ),
    (
        "jwt",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTQyIiwicm9sZSI6ImFkbWluIn0.c2lnbmF0dXJlLWZha2U",
        "eyJzdWIiOiJ1c2VyLTQyIiwicm9sZSI6ImFkbWluIn0",
    ),
    ("bearer", "Bearer opaqueT0kenValue-998877", "opaqueT0kenValue-998877"),
    (
        "authorization",
        "Authorization: Basic ZGVwbG95OnNlY3JldC1iYXNpYw==",
        "ZGVwbG95OnNlY3JldC1iYXNpYw",
    ),
    ("url_credentials", "https://deploy:Url-Pa55word@git.example.com/repo.git", "Url-Pa55word"),
    ("password", "password=Pw-Value-0001", "Pw-Value-0001"),
    ("passwd", "passwd: 'Passwd-Value-0002'", "Passwd-Value-0002"),
    ("secret", '"client_secret": "Cs-Value-0003"', "Cs-Value-0003"),
    ("api_key", "api_key=Ak-Value-0004", "Ak-Value-0004"),
    ("apikey", "apikey=Apikey-Value-0005", "Apikey-Value-0005"),
    ("auth", "auth=Auth-Value-0006", "Auth-Value-0006"),
    ("credentials", "credentials: Cred-Value-0007", "Cred-Value-0007"),
    ("token", "token => 'Tok-Value-0008'", "Tok-Value-0008"),
    ("private_key_field", "private_key=Pk-Value-0009", "Pk-Value-0009"),
    ("session", "session=Sess-Value-0010", "Sess-Value-0010"),
    ("cookie", "Cookie: sid=Cookie-Value-0011; theme=dark", "Cookie-Value-0011"),
    (
        "private_key",
        f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}\n-----END RSA PRIVATE KEY-----",
        PEM_BODY[:40],
    ),
    ("card", "card 4111 1111 1111 1111 charged", "4111 1111 1111 1111"),
    ("card_dashes", "5500-0000-0000-0004", "5500-0000-0000-0004"),
    ("iban", "IBAN GB82 WEST 1234 5698 7654 32", "GB82 WEST 1234 5698 7654 32"),
    ("ssn", "ssn 078-05-1120", "078-05-1120"),
]
EMAIL = "jane.doe.secret@example.com"
BLOB = " | ".join(planted for _, planted, _ in SECRETS) + f" | mail {EMAIL}"


def _dirty_event(planted: str = BLOB, index: int = 0) -> ErrorEvent:
    """An event with `planted` in every text field (kept under the store's column sizes)."""
    BLOB = planted  # the whole corpus's name, for readability below
    frame = Frame(
        filename=BLOB,
        abs_path=BLOB,
        module=BLOB,
        function=BLOB,
        lineno=7,
        in_app=True,
        context_line=BLOB,
        pre_context=[BLOB],
        post_context=[BLOB],
    )
    return ErrorEvent(
        source="sentry",
        source_event_id=f"evt-{index}",
        occurred_at=datetime(2024, 3, 7, 10, 15, tzinfo=UTC),
        platform="python",
        environment=BLOB,
        release=BLOB,
        service=BLOB,
        message=BLOB,
        culprit=BLOB,
        tags={"url": BLOB, "password": "Pw-Value-0001"},
        link="https://sentry.example.com/issues/1?token=Tok-Value-0008",
        exceptions=[
            ExceptionInfo(type="ValueError", value=BLOB, module=BLOB, frames=[frame]),
            ExceptionInfo(type=BLOB, value=BLOB, frames=[frame]),
        ],
        fingerprint_hint=[BLOB],
        contexts={
            "request": {
                "url": BLOB,
                "headers": {
                    "Authorization": "Bearer opaqueT0kenValue-998877",
                    "Cookie": "sid=Cookie-Value-0011",
                },
                "data": {
                    "password": "Pw-Value-0001",
                    "nested": [BLOB, {"api_key": "Ak-Value-0004"}],
                },
            },
            "user": {"email": EMAIL, "note": BLOB},
            "log_lines": [BLOB, BLOB],
        },
        raw={"payload": BLOB, "list": [BLOB], "X-Api-Key": "Ak-Value-0004"},
    )


def _leaks(haystack: str, *, emails: bool) -> list[str]:
    found = [kind for kind, _, never in SECRETS if never in haystack]
    if emails and EMAIL in haystack:
        found.append("email")
    return found


def _dump_database(store: Store) -> str:
    parts: list[str] = []
    with store.reading() as session:
        for table in Base.metadata.sorted_tables:
            for row in session.execute(text(f"SELECT * FROM {table.name}")):  # noqa: S608 -- table names come from our metadata
                parts.append(repr(tuple(row)))
    return "\n".join(parts)


def test_corpus_is_complete() -> None:
    # Every kind the issue names is planted at least once.
    kinds = {kind for kind, _, _ in SECRETS}
    assert kinds >= {
        "aws_key",
        "aws_secret",
        "github_token",
        "github_pat",
        "slack_token",
        "jwt",
        "bearer",
        "authorization",
        "url_credentials",
        "password",
        "passwd",
        "secret",
        "api_key",
        "apikey",
        "auth",
        "credentials",
        "token",
        "private_key",
        "session",
        "cookie",
        "card",
        "iban",
        "ssn",
    }
    # And the corpus would be caught if it leaked: the dirty event holds every secret.
    assert len(_leaks(_dirty_event().model_dump_json(), emails=True)) == len(SECRETS) + 1


def test_nothing_planted_reaches_the_store_the_issue_or_the_logs(
    store: Store, capfd: pytest.CaptureFixture[str]
) -> None:
    settings = load_settings(env_file=None, DATABASE_URL=store.url, LOG_LEVEL="debug")
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    configure_logging("debug")
    try:
        intake = Intake(store)
        text_events = parse_text(f"2024-03-07 10:15:02 ERROR [api] {BLOB}\n" + BLOB, source="text")
        dirty = [_dirty_event(planted, i) for i, (_, planted, _) in enumerate(SECRETS)]
        dirty.append(_dirty_event(f"mail {EMAIL}", len(SECRETS)))
        intake.accept("sentry", dirty)
        intake.accept("text", text_events)
        assert process_pending(store, settings.pipeline) == len(dirty) + len(text_events)
        while run_due(store, build_handlers(settings)):
            pass
        logging.getLogger("autotriage.test").error("request failed: %s", BLOB)
        logging.getLogger("autotriage.test").warning(BLOB)
    finally:
        root.handlers[:], root.level = saved

    database = _dump_database(store)
    assert "[REDACTED:" in database
    assert _leaks(database, emails=False) == []

    with store.reading() as session:
        stored = [load_event(row) for row in session.scalars(select(Event).order_by(Event.id))]
    assert len(stored) == len(SECRETS) + 1 + len(text_events)
    now = datetime(2024, 3, 7, 11, 0, tzinfo=UTC)
    for event in stored:
        view = GroupView(1, "f" * 32, event.title, "error", 3, now, now, ["sentry"])
        issue = render_issue(view, event, None)
        assert _leaks(issue.title + issue.body + " ".join(issue.labels), emails=True) == []
    # Rendering scrubs again: even an event that skipped intake leaves no secret in the text.
    raw = _dirty_event()
    issue = render_issue(GroupView(1, "f" * 32, raw.title, "error", 1, now, now), raw, None)
    assert _leaks(issue.title + issue.body + " ".join(issue.labels), emails=True) == []

    logged = capfd.readouterr().err
    assert "request failed" in logged
    assert _leaks(logged, emails=True) == []
