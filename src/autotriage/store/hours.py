"""Hourly occurrence buckets per group, kept by the pipeline for the console's sparklines.

``group_hours`` holds one row per group and UTC hour with the number of occurrences seen
in it; the console reads trends and graphs from here, never by scanning ``events``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import BigInteger, ForeignKey, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.sql.selectable import Subquery

from autotriage.store.tables import Base, BigId


class GroupHour(Base):
    __tablename__ = "group_hours"

    group_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    hour: Mapped[datetime] = mapped_column(primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, default=0)


def hour_of(moment: datetime) -> datetime:
    """The UTC hour `moment` falls in."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def count_hour(session: Session, group_id: int, seen: datetime) -> None:
    """Add one occurrence to `group_id`'s bucket for the hour of `seen` (an upsert)."""
    table = GroupHour.__table__
    values = {"group_id": group_id, "hour": hour_of(seen), "count": 1}
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(table).values(**values)  # type: ignore[arg-type]
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["group_id", "hour"], set_={"count": table.c.count + 1}
        )
    )


def hourly_counts(
    session: Session, group_ids: Sequence[int], since: datetime
) -> dict[int, dict[datetime, int]]:
    """Each group's buckets from `since` on: ``{group_id: {hour: count}}``."""
    if not group_ids:
        return {}
    rows = session.execute(
        select(GroupHour.group_id, GroupHour.hour, GroupHour.count).where(
            GroupHour.group_id.in_(list(group_ids)), GroupHour.hour >= hour_of(since)
        )
    )
    found: dict[int, dict[datetime, int]] = {gid: {} for gid in group_ids}
    for gid, hour, count in rows:
        found[gid][hour_of(hour)] = int(count)
    return found


def series(buckets: dict[datetime, int], now: datetime, hours: int, step: int = 1) -> list[int]:
    """Counts for the `hours` hours ending at `now`, summed `step` hours per point (the
    last point ends with the current hour)."""
    end = hour_of(now)
    points = []
    for start in range(hours - 1, -1, -step):
        first = end - timedelta(hours=start)
        points.append(sum(buckets.get(first + timedelta(hours=i), 0) for i in range(step)))
    return points


def recent_counts(since: datetime) -> Subquery:
    """A subquery of occurrences per group since `since` (``group_id``, ``recent``)."""
    return (
        select(GroupHour.group_id, func.sum(GroupHour.count).label("recent"))
        .where(GroupHour.hour >= hour_of(since))
        .group_by(GroupHour.group_id)
        .subquery()
    )
