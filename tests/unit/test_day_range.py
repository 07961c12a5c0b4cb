"""History date ranges are days in the viewer's time zone, as UTC instants."""

from datetime import UTC, date, datetime

import pytest

from credits_app.credits.day_range import day_range, parse_time_zone
from credits_app.credits.errors import InvalidArgument
from credits_app.state.history_state import export_url


def test_a_day_in_a_zone_ahead_of_utc_starts_the_evening_before_in_utc() -> None:
    since, until = day_range(date(2026, 3, 4), date(2026, 3, 4), parse_time_zone("Asia/Tokyo"))
    assert since == datetime(2026, 3, 3, 15, 0, tzinfo=UTC)
    assert until == datetime(2026, 3, 4, 15, 0, tzinfo=UTC)


def test_a_daylight_saving_day_is_23_hours_long() -> None:
    new_york = parse_time_zone("America/New_York")
    since, until = day_range(date(2026, 3, 8), date(2026, 3, 8), new_york)
    assert since == datetime(2026, 3, 8, 5, 0, tzinfo=UTC)
    assert until == datetime(2026, 3, 9, 4, 0, tzinfo=UTC)
    assert (until - since).total_seconds() == 23 * 3600


def test_no_zone_means_utc_days_and_open_ends_stay_open() -> None:
    assert day_range(date(2026, 1, 1), None, parse_time_zone(None)) == (
        datetime(2026, 1, 1, tzinfo=UTC),
        None,
    )
    assert day_range(None, None, parse_time_zone("Europe/Berlin")) == (None, None)


@pytest.mark.parametrize("name", ["Mars/Olympus", "../etc/passwd", "x" * 65, "Europe/Berlin\n"])
def test_unknown_or_odd_zone_names_are_invalid_arguments(name: str) -> None:
    with pytest.raises(InvalidArgument):
        parse_time_zone(name)


def test_the_export_link_carries_the_zone_of_the_range() -> None:
    assert export_url(0, {"from": "2026-03-04", "tz": "Asia/Tokyo"}) == (
        "/api/credits/history/export?from=2026-03-04&tz=Asia%2FTokyo"
    )


def test_the_ends_of_the_calendar_are_open_bounds_not_errors() -> None:
    tokyo = parse_time_zone("Asia/Tokyo")
    assert day_range(date.min, date.max, tokyo) == (None, None)
    assert day_range(date(9999, 12, 30), None, parse_time_zone("America/New_York"))[0] is not None
