"""Fixed-point amounts: exact parsing, refusal of anything inexact, and the round-up rule."""

from decimal import Decimal

import pytest

from credits_app.credits.amounts import (
    MAX_AMOUNT_UNITS,
    UNITS_PER_CREDIT,
    ceil_to_units,
    format_balance,
    format_credits,
    parse_credits,
    units_to_credits,
)
from credits_app.credits.errors import InvalidAmount


@pytest.mark.parametrize(
    ("value", "units"),
    [
        (1, 10_000),
        ("0.0001", 1),
        ("12.5", 125_000),
        (Decimal("3.1400"), 31_400),
        (" 7 ", 70_000),
        ("1e3", 10_000_000),
        (10**12, MAX_AMOUNT_UNITS),
    ],
)
def test_parse_credits_converts_exact_decimals_to_units(value: object, units: int) -> None:
    assert parse_credits(value) == units  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (0, "greater than zero"),
        ("-1", "greater than zero"),
        ("0.00001", "more than 4 decimal places"),
        ("1.23456", "more than 4 decimal places"),
        (10**12 + 1, "at most"),
        ("1e400", "at most"),
        ("NaN", "finite"),
        ("Infinity", "finite"),
        ("-Infinity", "finite"),
        ("abc", "not a number"),
        ("", "not a number"),
        (1.5, "not a float"),
        (True, "not a float"),
        (None, "not a float"),
    ],
)
def test_parse_credits_refuses_inexact_or_out_of_range_amounts(value: object, reason: str) -> None:
    with pytest.raises(InvalidAmount, match=reason) as error:
        parse_credits(value)  # type: ignore[arg-type]
    assert error.value.code == "invalid_amount"


def test_tiny_positive_amount_below_one_unit_is_refused_not_rounded_to_zero() -> None:
    with pytest.raises(InvalidAmount):
        parse_credits("0." + "0" * 40 + "1")


@pytest.mark.parametrize(
    ("charge", "units"),
    [
        (Decimal("0"), 0),
        (Decimal("0.00001"), 1),
        (Decimal("0.0001"), 1),
        (Decimal("0.00010001"), 2),
        (Decimal("1.23451"), 12_346),
        (Decimal("2"), 20_000),
    ],
)
def test_computed_charges_round_up_to_the_next_unit(charge: Decimal, units: int) -> None:
    assert ceil_to_units(charge) == units


@pytest.mark.parametrize("charge", [Decimal("-0.1"), Decimal("NaN"), Decimal("Infinity")])
def test_computed_charge_must_be_finite_and_not_negative(charge: Decimal) -> None:
    with pytest.raises(InvalidAmount):
        ceil_to_units(charge)


def test_units_round_trip_to_four_place_decimals_and_display_text() -> None:
    assert units_to_credits(125_000) == Decimal("12.5000")
    assert str(units_to_credits(1)) == "0.0001"
    assert format_credits(12_345 * UNITS_PER_CREDIT + 5_000) == "12,345.5"
    assert format_credits(0) == "0"
    assert parse_credits(units_to_credits(987_654_321)) == 987_654_321


def test_balances_format_for_people_including_zero() -> None:
    assert format_balance(Decimal("0.0000")) == "0"
    assert format_balance(Decimal("4035.1000")) == "4,035.1"
    assert format_balance(Decimal("0.0001")) == "0.0001"
