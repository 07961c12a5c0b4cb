"""Timestamps read back from the database are UTC (SQLite returns them naive)."""

from datetime import UTC, datetime


def as_utc(moment: datetime) -> datetime:
    """The same instant, marked UTC when the driver dropped the zone."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
