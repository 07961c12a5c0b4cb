"""Calendar days in a person's time zone, as the UTC instants the ledger is filtered by.

The History tab shows times in the browser's zone, so "from Mar 4 to Mar 5" means those days
there: from 00:00 local on the first day to 00:00 local after the last (both included).
Zones are IANA names (`Europe/Berlin`), so daylight-saving days are 23 or 25 hours long.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from credits_app.credits.errors import InvalidArgument

MAX_ZONE_NAME = 64


def parse_time_zone(name: str | None) -> ZoneInfo:
    """The IANA zone (UTC when none is given); an unknown name is a 400 `invalid_argument`."""
    if not name:
        return ZoneInfo("UTC")
    if len(name) > MAX_ZONE_NAME or not all(c.isalnum() or c in "/_+-" for c in name):
        raise InvalidArgument("tz must be an IANA time zone such as Europe/Berlin.", field="tz")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidArgument(f"Unknown time zone {name!r}.", field="tz") from None


def day_start(day: date, zone: ZoneInfo) -> datetime | None:
    """00:00 of `day` in `zone`, as a UTC instant; None past the calendar's ends (year 1 or
    9999), where the bound is open anyway: nothing in the ledger is that old or that new."""
    try:
        return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)
    except OverflowError:
        return None


def day_range(
    first: date | None, last: date | None, zone: ZoneInfo
) -> tuple[datetime | None, datetime | None]:
    """`[since, until)` in UTC for the days `first`..`last` (both included) in `zone`."""
    since = day_start(first, zone) if first else None
    until = None
    if last and last < date.max:
        until = day_start(last + timedelta(days=1), zone)
    return since, until
