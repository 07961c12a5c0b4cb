"""The one source of "now" for stored timestamps, so demo data and tests can place entries."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime

_frozen_now: ContextVar[datetime | None] = ContextVar("frozen_now", default=None)


def utcnow() -> datetime:
    """Timezone-aware UTC now, or the moment set by `frozen_at` in this context."""
    return _frozen_now.get() or datetime.now(UTC)


@contextmanager
def frozen_at(moment: datetime) -> Iterator[None]:
    """Make `utcnow()` return `moment` inside the block (per thread/task, via a ContextVar)."""
    token = _frozen_now.set(moment.astimezone(UTC))
    try:
        yield
    finally:
        _frozen_now.reset(token)


def as_utc(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; every timestamp we store is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def month_of(moment: datetime) -> date:
    """The first day of the UTC calendar month of `moment`: the monthly limit's period."""
    return as_utc(moment).date().replace(day=1)
