"""`python -m credits_app pricing ...`: editing the volume tiers on a migrated SQLite database."""

import pytest
from click.testing import Result
from typer.testing import CliRunner

from credits_app.billing.pricing import Tier, load_tiers, quote
from credits_app.billing.pricing_tiers import parse_unit_price, remove_tier, set_tier
from credits_app.cli import app
from credits_app.credits.errors import InvalidArgument

pytestmark = pytest.mark.usefixtures("sqlite_engine")

runner = CliRunner()


def run(*args: str) -> Result:
    return runner.invoke(app, ["pricing", *args])


def succeeds(*args: str) -> Result:
    result = run(*args)
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return result


def fails(result: Result, message: str) -> None:
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.output


def test_list_shows_every_tier_and_the_purchase_range() -> None:
    output = succeeds("list").stdout
    for text in ("100", "1,000,000", "0.55", "15", "100 to 10,000,000 credits, in usd"):
        assert text in output


def test_set_adds_a_tier_that_prices_the_next_quote() -> None:
    before = quote(20_000)
    assert before.unit_price_micros == 850_000
    output = succeeds("set", "20000", "--unit-price-cents", "0.8", "--bonus-percent", "7").stdout
    assert "Set the tier from 20,000 credits." in output
    after = quote(20_000)
    assert (after.unit_price_micros, after.price_minor) == (800_000, 16_000)
    assert after.bonus_credits == 1_400
    assert quote(19_999).unit_price_micros == 850_000


def test_set_replaces_an_existing_tier() -> None:
    succeeds("set", "1000", "--unit-price-cents", "0.99")
    assert quote(1_000).price_minor == 990


def test_set_refuses_a_price_that_would_rise_with_the_amount_and_changes_nothing() -> None:
    before = load_tiers()
    fails(run("set", "2000", "--unit-price-cents", "0.97"), "may not rise")
    fails(run("set", "20000", "--unit-price-cents", "0.8", "--bonus-percent", "1"), "may not fall")
    assert load_tiers() == before


@pytest.mark.parametrize("price", ["0", "-1", "1e3", "0.1234567", "abc", ""])
def test_set_refuses_a_malformed_unit_price(price: str) -> None:
    fails(run("set", "2000", "--unit-price-cents", price), "Unit price")


def test_remove_deletes_a_tier_but_never_the_last() -> None:
    succeeds("remove", "1000000")
    assert quote(2_000_000).unit_price_micros == 650_000
    fails(run("remove", "1000000"), "No pricing tier starts at 1,000,000")
    for tier in load_tiers()[1:]:
        remove_tier(tier.min_credits)
    with pytest.raises(InvalidArgument, match="At least one"):
        remove_tier(100)
    assert load_tiers() == [Tier(100, 1_000_000, 0)]


def test_quote_prints_what_checkout_would_charge() -> None:
    output = succeeds("quote", "12345").stdout
    assert "12,345 + 617.25 bonus credits for 104.93 usd (0.85 cents per credit" in output
    fails(run("quote", "12.5"), "whole number")


def test_parse_unit_price_is_exact() -> None:
    assert parse_unit_price("0.000001") == 1
    assert parse_unit_price("12.345678") == 12_345_678
    assert set_tier(50, 2_000_000)[0] == Tier(50, 2_000_000, 0)
