"""Per-user hourly caps on creating rows (organizations, pending purchases), counted in the DB.

Counting the rows the user created in the last hour, in the transaction that inserts the next
one and under a lock on the user's row, makes the cap hold across app instances and concurrent
requests: there is no in-process counter to bypass. (SQLite takes its write lock at BEGIN, see
`db.py`; Postgres queues same-user creations on `SELECT … FOR UPDATE` of the user.)
"""

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from credits_app.clock import utcnow
from credits_app.credits.errors import CreditsError
from credits_app.models import User

WINDOW = timedelta(hours=1)


class RateLimited(CreditsError):
    """The user already created `limit` of these in the last hour: 429 with Retry-After."""

    code = "rate_limited"

    def __init__(self, what: str, limit: int, retry_after_seconds: int) -> None:
        super().__init__(
            f"At most {limit} {what} per hour; try again in {retry_after_seconds} seconds.",
            limit=limit,
            retryAfterSeconds=retry_after_seconds,
        )
        self.retry_after_seconds = retry_after_seconds


def enforce_hourly_cap(
    db: Session,
    user_id: int,
    *,
    what: str,
    limit: int,
    created_at: Any,
    conditions: Sequence[ColumnElement[bool]],
) -> None:
    """`RateLimited` when `limit` rows matching `conditions` were created in the last hour.

    Call it inside the transaction that then inserts the row; it locks the user's row first.
    """
    db.exec(select(User.id).where(col(User.id) == user_id).with_for_update()).first()
    now = utcnow()
    since = now - WINDOW
    count, oldest = db.exec(
        select(func.count(), func.min(created_at)).where(*conditions, created_at > since)
    ).one()
    if count < limit:
        return
    raise RateLimited(what, limit, _seconds_until(_aware(oldest) + WINDOW, now))


def _aware(moment: datetime) -> datetime:
    """SQLite hands timestamps back without a zone; they are stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))
