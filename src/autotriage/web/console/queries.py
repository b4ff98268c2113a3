"""What the console shows, read from the store: the filtered list, a group, the sources.

Sparklines and trends come from the hourly buckets in ``group_hours``, never from
scanning ``events``. The list's whole view (filters, sort, page) is a `View`, parsed
from and written back to the URL's query string so a view can be shared.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import String, cast, desc, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from autotriage.models import LEVELS
from autotriage.store.groups import group_links, hourly_counts, recent_counts, series
from autotriage.store.tables import FixAttemptRow, Group

PAGE_SIZE = 25
STATUSES = ("open", "resolved", "ignored")
SORTS = {
    "last_seen": "Last seen",
    "first_seen": "First seen",
    "count": "Count",
    "trend": "Trend (24 h)",
}
RANGES = {"1h": 1, "24h": 24, "7d": 24 * 7, "14d": 24 * 14, "30d": 24 * 30}
RANGE_ON = {"last_seen": "Seen in", "first_seen": "First seen in"}
ASSIGNED = {"": "Anyone", "me": "Assigned to me", "none": "Unassigned"}
SPARKS = {"24h": (24, 1), "14d": (24 * 14, 24)}
# The list's optional columns in display order; the error (title, culprit) is always shown.
COLUMNS = {
    "level": "Level",
    "events": "Events graph",
    "source": "Source",
    "service": "Service",
    "environment": "Environment",
    "count": "Count",
    "users": "Users",
    "first_seen": "First seen",
    "last_seen": "Last seen",
    "status": "Status",
    "assignee": "Assignee",
    "issue": "Issue / PR",
}
DEFAULT_COLUMNS = (
    "level",
    "events",
    "count",
    "users",
    "first_seen",
    "last_seen",
    "status",
    "assignee",
    "issue",
)


def _columns(names: list[str]) -> tuple[str, ...]:
    chosen = set(names)
    return tuple(name for name in COLUMNS if name in chosen)


@dataclass(frozen=True, slots=True)
class View:
    """One list view: every filter, the sort, the sparkline span and the page."""

    status: str = "open"
    source: str = ""
    level: str = ""
    service: str = ""
    environment: str = ""
    release: str = ""
    assigned: str = ""
    """"me": only the groups assigned to the viewer; "none": only unassigned ones."""
    q: str = ""
    range: str = ""
    range_on: str = "last_seen"
    sort: str = "last_seen"
    spark: str = "24h"
    page: int = 1
    columns: tuple[str, ...] = DEFAULT_COLUMNS

    @classmethod
    def parse(cls, params: dict[str, str], ticked: list[str] | None = None) -> View:
        """A view from query parameters; unknown values fall back to the defaults.

        Columns come as ``cols=level,count`` (what `query` writes), or as the column
        form's ticked ``col`` boxes (`ticked`) beside an empty ``cols``: so a form with
        every box cleared still says so, while no ``cols`` at all means the default.
        """

        def pick(name: str, allowed: Any, default: str) -> str:
            value = params.get(name, default)
            return value if value in allowed else default

        try:
            page = max(1, min(10_000, int(params.get("page", "1"))))
        except ValueError:
            page = 1
        return cls(
            status=pick("status", ("", *STATUSES), "open"),
            source=params.get("source", "")[:64],
            level=pick("level", ("", *LEVELS), ""),
            service=params.get("service", "")[:255],
            environment=params.get("environment", "")[:255],
            release=params.get("release", "")[:255],
            assigned=pick("assigned", ASSIGNED, ""),
            q=params.get("q", "")[:200],
            range=pick("range", ("", *RANGES), ""),
            range_on=pick("range_on", RANGE_ON, "last_seen"),
            sort=pick("sort", SORTS, "last_seen"),
            spark=pick("spark", SPARKS, "24h"),
            page=page,
            columns=(
                _columns(ticked[:50])
                if ticked
                else _columns(params["cols"][:500].split(","))
                if "cols" in params
                else DEFAULT_COLUMNS
            ),
        )

    def query(self, **changes: Any) -> str:
        """This view's query string, with `changes` applied (defaults left out)."""
        view = replace(self, **changes)
        defaults = asdict(View())
        params: dict[str, Any] = {}
        for name, value in asdict(view).items():
            # status "" (all) differs from the default "open", so it is always written.
            if value != defaults[name] or name == "status":
                params[name] = value
        if "columns" in params:
            params["cols"] = ",".join(params.pop("columns"))
        return urlencode(params)

    def shows(self, column: str) -> bool:
        """Whether the list shows `column`."""
        return column in self.columns


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _filtered(view: View, now: datetime, viewer: str) -> Select[Group]:
    stmt = select(Group)
    if view.assigned == "me":
        stmt = stmt.where(Group.assignee == viewer[:255])
    elif view.assigned == "none":
        stmt = stmt.where(Group.assignee.is_(None))
    if view.status:
        stmt = stmt.where(Group.status == view.status)
    if view.source:
        quoted = '"' + view.source.replace('"', "") + '"'
        stmt = stmt.where(cast(Group.sources, String).like(_like(quoted), escape="\\"))
    for column, value in (
        (Group.level, view.level),
        (Group.service, view.service),
        (Group.environment, view.environment),
        (Group.last_release, view.release),
    ):
        if value:
            stmt = stmt.where(column == value)
    if view.q:
        pattern = _like(view.q.lower())
        stmt = stmt.where(
            or_(
                func.lower(Group.title).like(pattern, escape="\\"),
                func.lower(func.coalesce(Group.culprit, "")).like(pattern, escape="\\"),
            )
        )
    if view.range:
        since = now - timedelta(hours=RANGES[view.range])
        seen = Group.first_seen if view.range_on == "first_seen" else Group.last_seen
        stmt = stmt.where(seen >= since)
    return stmt


def _sorted(stmt: Select[Group], view: View, now: datetime) -> Select[Group]:
    if view.sort == "trend":
        recent = recent_counts(now - timedelta(hours=24))
        stmt = stmt.outerjoin(recent, recent.c.group_id == Group.id)
        return stmt.order_by(desc(func.coalesce(recent.c.recent, 0)), Group.last_seen.desc())
    column = {"first_seen": Group.first_seen, "count": Group.count}.get(view.sort, Group.last_seen)
    return stmt.order_by(column.desc(), Group.id.desc())


def list_page(session: Session, view: View, now: datetime, viewer: str = "") -> dict[str, Any]:
    """The page of groups `view` asks for, with sparklines, the total and the facets.

    `viewer` is the operator looking (their audit name): "assigned to me" means them.
    """
    stmt = _filtered(view, now, viewer)
    total = int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    page = _sorted(stmt, view, now).limit(PAGE_SIZE).offset((view.page - 1) * PAGE_SIZE)
    groups = list(session.scalars(page))
    hours, step = SPARKS[view.spark]
    buckets = hourly_counts(session, [g.id for g in groups], now - timedelta(hours=hours))
    pulls = fix_pulls(session, [g.id for g in groups])
    rows = [
        {
            "group": g,
            "links": group_links(session, g.id),
            "pull": pulls.get(g.id),
            "spark": series(buckets.get(g.id, {}), now, hours, step),
        }
        for g in groups
    ]
    pages = max(1, -(-total // PAGE_SIZE))
    return {"rows": rows, "total": total, "pages": pages, "facets": facets(session)}


def fix_pulls(session: Session, group_ids: list[int]) -> dict[int, FixAttemptRow]:
    """The newest fix attempt with a pull request, per group of `group_ids`."""
    if not group_ids:
        return {}
    rows = session.scalars(
        select(FixAttemptRow)
        .where(FixAttemptRow.group_id.in_(group_ids), FixAttemptRow.pr_number.is_not(None))
        .order_by(FixAttemptRow.id)
    )
    return {row.group_id: row for row in rows}


def facets(session: Session) -> dict[str, list[str]]:
    """The values the filters offer: every service, environment, release and source seen."""
    found: dict[str, list[str]] = {}
    for name, column in (
        ("service", Group.service),
        ("environment", Group.environment),
        ("release", Group.last_release),
    ):
        values = session.scalars(
            select(column).where(column.is_not(None)).distinct().order_by(column).limit(200)
        )
        found[name] = [v for v in values if v]
    sources: set[str] = set()
    # JSON has no equality operator on PostgreSQL: take the distinct texts, then decode them.
    for text in session.scalars(select(cast(Group.sources, String)).distinct().limit(500)):
        value = json.loads(text) if text else None
        sources.update(v for v in value or [] if isinstance(v, str))
    found["source"] = sorted(sources)
    return found


def status_counts(session: Session) -> dict[str, int]:
    """How many groups are in each status (for the tabs)."""
    rows = session.execute(select(Group.status, func.count()).group_by(Group.status))
    return {str(status): int(n) for status, n in rows}
