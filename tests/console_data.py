"""Groups for the console's tests: events through intake and the pipeline, as in production."""

from __future__ import annotations

from datetime import datetime, timedelta

from autotriage.models import ErrorEvent, ExceptionInfo, Frame, utcnow
from autotriage.pipeline import process_pending
from autotriage.services import Services
from autotriage.store.tables import Group

XSS_TITLE = "<script>window.__xss=1;alert(1)</script>"


def event(
    kind: str,
    value: str,
    *,
    service: str = "checkout",
    environment: str = "production",
    release: str = "1.4.0",
    source: str = "generic",
    at: datetime | None = None,
    function: str = "handle",
) -> ErrorEvent:
    """One Python error with an in-app frame and a library frame."""
    return ErrorEvent(
        source=source,
        occurred_at=at or utcnow(),
        service=service,
        environment=environment,
        release=release,
        platform="python",
        exceptions=[
            ExceptionInfo(
                type=kind,
                value=value,
                frames=[
                    Frame(filename="site-packages/flask/app.py", function="dispatch", lineno=880),
                    Frame(
                        filename=f"app/{service}.py",
                        function=function,
                        lineno=42,
                        in_app=True,
                        context_line="    total = prices[sku] * qty",
                    ),
                ],
            )
        ],
    )


def seed(services: Services) -> dict[str, int]:
    """Four groups (one with a `<script>` title) with events spread over two days."""
    now = utcnow()
    batches = {
        "keyerror": [event("KeyError", "'sku'", at=now - timedelta(hours=h)) for h in (0, 1, 1, 5)],
        "timeout": [
            event(
                "TimeoutError",
                "upstream payments timed out",
                service="payments",
                function="charge",
                release="1.5.0",
                at=now - timedelta(hours=h),
            )
            for h in (2, 30)
        ],
        "xss": [event("ValueError", XSS_TITLE, service="search", function="query")],
        "staging": [
            event(
                "ZeroDivisionError",
                "division by zero",
                environment="staging",
                function="ratio",
                source="sentry",
                at=now - timedelta(hours=40),
            )
        ],
    }
    for events in batches.values():
        services.intake.accept(events[0].source, events)
    process_pending(services.store, services.settings)
    ids: dict[str, int] = {}
    with services.store.reading() as session:
        for group in session.query(Group).all():
            for name, events in batches.items():
                if group.title.startswith(events[0].exceptions[0].type):
                    ids[name] = group.id
    return ids
