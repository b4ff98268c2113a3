"""Groups: one row per problem, found through any of its fingerprint hashes.

Also what the pipeline records with each occurrence:

* **hourly buckets**, for the console's sparklines: ``group_hours`` holds one row per
  group and UTC hour with the number of occurrences seen in it; the console reads trends
  and graphs from here, never by scanning ``events``;
* **distinct users**: ``group_users`` holds one salted hash per group and user, never the
  identifier itself (the event, scrubbed at intake, is the only place that keeps it).
  Hashes are salted with the group's fingerprint, so the same user cannot be followed
  from one group to another. Past `EXACT_USERS` distinct users a group stops adding
  rows: the console shows ``1,000+``, and a storm of new users costs neither rows nor
  queries beyond the cap. Who an occurrence happened to is Sentry's event user
  (https://develop.sentry.dev/sdk/data-model/event-payloads/user/): like Sentry's own
  user tag, the first of ``id``, ``username``, ``email`` and ``ip_address`` present names
  the user (``id:42``, ``email:a@b.c``); OpenTelemetry's is the ``enduser.id``
  attribute. A value the scrubber replaced, or Sentry's ``{{auto}}`` placeholder (the
  server was to fill in the client's address), names nobody and is skipped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, String, cast, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.sql.selectable import Subquery

from autotriage.models import LEVELS, ErrorEvent
from autotriage.store.db import insert_ignore
from autotriage.store.tables import Base, BigId, Event, Group, GroupHash, Link, TrackerItem


def find_by_hashes(session: Session, hashes: Sequence[str]) -> tuple[Group | None, set[str]]:
    """The group owning the first known hash of `hashes` (most specific first), and which
    of `hashes` are already known."""
    stmt = select(GroupHash.hash, GroupHash.group_id).where(GroupHash.hash.in_(list(hashes)))
    rows = {h: gid for h, gid in session.execute(stmt).all()}
    for value in hashes:
        if value in rows:
            return session.get(Group, rows[value], with_for_update=True), set(rows)
    return None, set()


def create_group(
    session: Session,
    event: ErrorEvent,
    primary: str,
    hashes: Sequence[str],
    version: int,
    now: datetime,
) -> Group:
    """Create a group for `event`, claiming all its hashes."""
    group = Group(
        fingerprint=primary,
        fingerprint_version=version,
        title=event.title[:500],
        culprit=(event.culprit or "")[:500] or None,
        level=event.level,
        status="open",
        count=0,
        first_seen=event.occurred_at or event.received_at,
        last_seen=event.occurred_at or event.received_at,
        sources=[event.source],
        service=_name(event.service),
        environment=_name(event.environment),
        last_release=_name(event.release),
        regressions=0,
        users=0,
        updated_at=now,
    )
    session.add(group)
    session.flush()
    attach_hashes(session, group.id, hashes)
    return group


def _name(value: str | None) -> str | None:
    # The columns hold 255 characters: PostgreSQL refuses more (the event would fail).
    return value[:255] if value else value


def attach_hashes(session: Session, group_id: int, hashes: Sequence[str]) -> None:
    """Point every hash not yet claimed at `group_id`."""
    for value in hashes:
        insert_ignore(session, GroupHash.__table__, hash=value, group_id=group_id)  # type: ignore[arg-type]


def record_occurrence(group: Group, event: ErrorEvent, event_row_id: int, now: datetime) -> None:
    """Count one more occurrence of `group`."""
    seen = event.occurred_at or event.received_at
    group.count += 1
    group.last_seen = max(group.last_seen, seen)
    group.first_seen = min(group.first_seen, seen)
    if LEVELS.index(event.level) > LEVELS.index(group.level):
        group.level = event.level
    if event.source not in group.sources:
        group.sources = [*group.sources, event.source]
    if event.release:
        group.last_release = _name(event.release)
    group.latest_event_id = event_row_id
    group.updated_at = now


def list_groups(
    session: Session,
    *,
    status: str | None = None,
    source: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Group], int]:
    """A page of groups, most recently seen first, and the total matching."""
    stmt = select(Group)
    if status:
        stmt = stmt.where(Group.status == status)
    if source:
        # sources is a small JSON list; its text form holds each name in double quotes.
        quoted = '"' + source.replace("%", "").replace("_", "\\_").replace('"', "") + '"'
        stmt = stmt.where(cast(Group.sources, String).like(f"%{quoted}%", escape="\\"))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = stmt.order_by(Group.last_seen.desc(), Group.id.desc()).limit(limit).offset(offset)
    return list(session.scalars(page)), int(total)


def group_links(session: Session, group_id: int) -> list[dict[str, Any]]:
    """The tracker items linked to a group."""
    links = session.scalars(select(Link).where(Link.group_id == group_id)).all()
    return [
        {"tracker": link.tracker, "id": link.external_id, "url": link.url, "state": link.state}
        for link in links
    ]


def link_for_issue(session: Session, tracker: str, external_id: str) -> Link | None:
    """The link to `tracker`'s issue `external_id`, if a group has one."""
    return session.scalars(
        select(Link).where(Link.tracker == tracker, Link.external_id == external_id)
    ).first()


def latest_event(session: Session, group: Group) -> Event | None:
    """The newest stored event of `group`."""
    if group.latest_event_id is None:
        return None
    return session.get(Event, group.latest_event_id)


def tracker_item(session: Session, group_id: int) -> TrackerItem | None:
    """The local tracker's item for `group_id`, if one was opened."""
    return session.scalars(select(TrackerItem).where(TrackerItem.group_id == group_id)).first()


def count_groups(session: Session) -> dict[str, int]:
    """How many groups are in each status."""
    rows = session.execute(select(Group.status, func.count()).group_by(Group.status))
    return {status: int(n) for status, n in rows}


# --- hourly buckets


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


# --- distinct users ------------------------------------------------------------------

EXACT_USERS = 1000


class GroupUser(Base):
    __tablename__ = "group_users"

    group_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    user_hash: Mapped[str] = mapped_column(String(32), primary_key=True)


def user_hash(fingerprint: str, identity: str) -> str:
    """The stored form of `identity` within the group of `fingerprint`."""
    return hashlib.sha256(f"{fingerprint}\0{identity}".encode()).hexdigest()[:32]


def count_user(session: Session, group: Group, identity: str | None) -> None:
    """Count `identity` among `group`'s users (the caller holds the group's row)."""
    if identity is None or group.users >= EXACT_USERS:
        return
    added = insert_ignore(
        session,
        GroupUser.__table__,  # type: ignore[arg-type]
        group_id=group.id,
        user_hash=user_hash(group.fingerprint, identity),
    )
    if added:
        group.users += 1


def users_text(users: int) -> str:
    """How many users a group affected, for people: ``—`` (unknown), ``12``, ``1,000+``."""
    if users <= 0:
        return "—"
    return f"{EXACT_USERS:,}+" if users >= EXACT_USERS else f"{users:,}"


FIELDS = (("id", "id"), ("username", "username"), ("email", "email"), ("ip_address", "ip"))
MAX_CHARS = 256


def _named(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value).strip()
    if not text or text == "{{auto}}" or text.startswith(("[REDACTED", "[Filtered]")):
        return None
    return text[:MAX_CHARS]


def user_identity(event: ErrorEvent) -> str | None:
    """``kind:value`` naming the event's user, or None when the event names nobody."""
    user = event.contexts.get("user")
    if isinstance(user, dict):
        for field, kind in FIELDS:
            value = _named(user.get(field))
            if value is not None:
                return f"{kind}:{value}"
    otel = event.contexts.get("otel")
    attributes = otel.get("attributes") if isinstance(otel, dict) else None
    if isinstance(attributes, dict):
        value = _named(attributes.get("enduser.id"))
        if value is not None:
            return f"id:{value}"
    return None
