"""A user's in-app notifications: the list behind the bell, read and read-all."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, select, update
from sqlmodel import Session

from credits_app.clock import utcnow
from credits_app.credits.errors import CreditsError, InvalidArgument, InvalidCursor
from credits_app.db import unit_of_work
from credits_app.models import Notification, NotificationEvent
from credits_app.notifications.live import announce
from credits_app.notifications.stamps import as_utc

notifications = cast(Table, Notification.__table__)  # type: ignore[attr-defined]
events = cast(Table, NotificationEvent.__table__)  # type: ignore[attr-defined]
MAX_LIMIT = 100


class NotificationNotFound(CreditsError):
    """No such notification for this user (another user's is "not found" too)."""

    code = "notification_not_found"

    def __init__(self) -> None:
        super().__init__("No such notification.")


@dataclass(frozen=True)
class NotificationItem:
    """One notification as the bell's panel shows it."""

    id: int
    kind: str
    title: str
    body: str
    wallet_type: str
    wallet_id: int
    created_at: datetime
    read_at: datetime | None


@dataclass(frozen=True)
class NotificationPage:
    """Newest first, the unread count, and the cursor of the next page (None on the last)."""

    items: list[NotificationItem]
    unread_count: int
    next_cursor: str | None


def list_notifications(
    user_id: int, *, limit: int = 20, cursor: str | None = None, session: Session | None = None
) -> NotificationPage:
    """The user's notifications, newest first; `cursor` is the last page's `nextCursor`."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidArgument(f"limit must be between 1 and {MAX_LIMIT}.", field="limit")
    query = (
        select(notifications, events.c.owner_kind, events.c.owner_id)
        .join(events, events.c.id == notifications.c.event_id)
        .where(notifications.c.user_id == user_id)
        .order_by(notifications.c.id.desc())
        .limit(limit + 1)
    )
    if cursor is not None:
        query = query.where(notifications.c.id < _decode(cursor))
    with unit_of_work(session) as db:
        rows = db.execute(query).all()
        unread = unread_count(user_id, session=db)
    items = [_item(row) for row in rows[:limit]]
    more = len(rows) > limit
    return NotificationPage(items, unread, str(items[-1].id) if more else None)


def unread_count(user_id: int, *, session: Session | None = None) -> int:
    """How many notifications the user has not read (the bell's badge)."""
    with unit_of_work(session) as db:
        count = db.execute(
            select(func.count()).where(
                notifications.c.user_id == user_id, notifications.c.read_at.is_(None)
            )
        ).scalar_one()
    return int(count)


def mark_read(user_id: int, notification_id: int) -> None:
    """Mark one of the user's notifications read (again is fine); else not found."""
    with unit_of_work() as db:
        exists = db.execute(
            select(notifications.c.id).where(
                notifications.c.id == notification_id, notifications.c.user_id == user_id
            )
        ).one_or_none()
        if exists is None:
            raise NotificationNotFound()
        db.execute(
            update(notifications)
            .where(notifications.c.id == notification_id, notifications.c.read_at.is_(None))
            .values(read_at=utcnow())
        )
        announce(db, [user_id])  # the user's other tabs drop the count too


def mark_all_read(user_id: int) -> int:
    """Mark every unread notification of the user read; how many."""
    with unit_of_work() as db:
        result = db.execute(
            update(notifications)
            .where(notifications.c.user_id == user_id, notifications.c.read_at.is_(None))
            .values(read_at=utcnow())
        )
        announce(db, [user_id])
    return int(result.rowcount)  # type: ignore[attr-defined]


def _decode(cursor: str) -> int:
    if not cursor.isdigit() or not 0 < int(cursor) < 2**63:
        raise InvalidCursor()
    return int(cursor)


def _item(row: Any) -> NotificationItem:
    return NotificationItem(
        id=row.id,
        kind=row.kind,
        title=row.title,
        body=row.body,
        wallet_type=row.owner_kind,
        wallet_id=row.owner_id,
        created_at=as_utc(row.created_at),
        read_at=as_utc(row.read_at) if row.read_at else None,
    )
