"""The lots in words: the balance card's next-expiry line and the "Expiring credits" rows."""

from datetime import UTC, datetime, timedelta

from credits_app.clock import frozen_at
from credits_app.credits.lot_reads import LotView, expiring_soon
from credits_app.state.overview_presenters import lot_row, next_expiry_text

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
CREDIT = 10_000


def lot(lot_id: int, credits: int, expires_in: timedelta | None, **extra: object) -> LotView:
    values: dict[str, object] = {
        "id": lot_id,
        "source": "promotion",
        "original": credits * CREDIT,
        "remaining": credits * CREDIT,
        "held": 0,
        "expires_at": NOW + expires_in if expires_in else None,
        "priority": 50,
        "created_at": NOW,
    } | extra
    return LotView(**values)  # type: ignore[arg-type]


def test_the_card_names_what_expires_first_summed_over_that_day() -> None:
    lots = [
        lot(1, 600, timedelta(days=13)),
        lot(2, 400, timedelta(days=13, hours=5)),
        lot(3, 50, timedelta(days=20)),
        lot(4, 9, None),
    ]
    with frozen_at(NOW):
        assert next_expiry_text(tuple(expiring_soon(lots))) == "1,000 credits expire on 14 Dec"
        assert next_expiry_text(tuple(expiring_soon([lot(5, 1, timedelta(days=2))]))) == (
            "1 credit expires on 3 Dec"
        )
        assert next_expiry_text(tuple(expiring_soon([lot(6, 5, timedelta(days=40))]))) == ""


def test_lot_rows_say_where_credits_came_from_and_until_when_they_count() -> None:
    soon = lot(1, 12, timedelta(days=3), held=2 * CREDIT, source="bonus")
    never = lot(2, 30, None, source="purchase")
    with frozen_at(NOW):
        expiring = tuple(expiring_soon([soon, never]))
    first, second = lot_row(soon, expiring), lot_row(never, expiring)
    assert (first.source, first.remaining, first.expires, first.held, first.expires_soon) == (
        "Package bonus",
        "12",
        "4 Dec 2026",
        "2 in use",
        True,
    )
    assert (second.source, second.expires, second.expires_at, second.expires_soon) == (
        "Purchased",
        "Never expires",
        "",
        False,
    )
