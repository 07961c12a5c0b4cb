"""The one source of "now" for stored timestamps, so demo data and tests can place entries."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

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
