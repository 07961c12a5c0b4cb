"""Volume pricing: the one function every custom amount is priced by (billing/pricing.py).

The tiers here are the ones the migration seeds (read back from the migrated database), so
the tests check what a fresh install sells. Every N in a window around each tier edge is
priced; the unit price never rises across the whole allowed range.
"""

import itertools
import random
from decimal import Decimal

import pytest

from credits_app.billing.pricing import (
    MAX_PRICE_MINOR,
    AmountOutOfRange,
    PricingNotConfigured,
    Tier,
    check_tiers,
    load_tiers,
    price_amount,
    purchase_range,
    quote,
)
from credits_app.credits.errors import CreditsError, InvalidAmount, InvalidArgument

pytestmark = pytest.mark.usefixtures("sqlite_engine")

EDGE_WINDOW = 50  # amounts priced on each side of every tier edge


@pytest.fixture
def tiers() -> list[Tier]:
    seeded = load_tiers()
    assert [t.min_credits for t in seeded] == [
        100,
        1_000,
        5_000,
        10_000,
        50_000,
        250_000,
        1_000_000,
    ]
    return seeded


def test_the_seeded_tiers_quote_in_exact_cents_with_the_documented_rounding(
    tiers: list[Tier],
) -> None:
    assert quote(100).price_minor == 100  # 100 x 1 cent
    q = quote(2_501)  # 2,501 x 0.95 cents = 2,375.95 -> 2,376 (half up)
    assert (q.price_minor, q.unit_price_minor, q.savings_percent) == (2_376, Decimal("0.95"), 5)
    q = quote("12345")  # 12,345 x 0.85 = 10,493.25 -> 10,493; 5 % bonus = 617.25 credits
    assert (q.price_minor, q.bonus_credits, q.currency) == (10_493, Decimal("617.25"), "usd")
    assert quote(1_000_000).price_minor == 550_000
    half = Tier(1, 500_000)  # 0.5 cents per credit: 1 credit = 0.5 cents -> 1 (half up)
    assert price_amount(101, [half]).price_minor == 51  # 50.5 -> 51


def test_every_amount_at_every_tier_edge_is_priced_from_its_own_tier(tiers: list[Tier]) -> None:
    allowed = purchase_range(tiers)
    for index, tier in enumerate(tiers):
        below = tiers[index - 1] if index else None
        for n in range(tier.min_credits - EDGE_WINDOW, tier.min_credits + EDGE_WINDOW + 1):
            if not allowed.minimum <= n <= allowed.maximum:
                with pytest.raises(AmountOutOfRange):
                    price_amount(n, tiers)
                continue
            q = price_amount(n, tiers)
            expected = tier if n >= tier.min_credits else below
            assert expected is not None
            assert q.unit_price_micros == expected.unit_price_micros, n
            assert q.tier_min_credits == expected.min_credits
            assert q.price_minor == (n * expected.unit_price_micros + 500_000) // 1_000_000
            assert q.bonus_units * 100 == n * 10_000 * expected.bonus_percent
            previous = price_amount(n - 1, tiers) if n - 1 >= allowed.minimum else None
            if previous is not None:
                assert q.unit_price_micros <= previous.unit_price_micros, n
                assert q.bonus_units >= previous.bonus_units, n
                if q.tier_min_credits == previous.tier_min_credits:
                    assert q.price_minor >= previous.price_minor, n  # more never costs less


def test_the_unit_price_never_rises_across_the_allowed_range(tiers: list[Tier]) -> None:
    allowed = purchase_range(tiers)
    rng = random.Random(14)
    amounts = sorted(
        {allowed.minimum, allowed.maximum}
        | {rng.randint(allowed.minimum, allowed.maximum) for _ in range(5_000)}
        | {t.min_credits + d for t in tiers for d in (-1, 0, 1)}
        & set(range(allowed.minimum, allowed.maximum + 1))
    )
    quotes = [price_amount(n, tiers) for n in amounts]
    for lower, higher in itertools.pairwise(quotes):
        assert higher.unit_price_micros <= lower.unit_price_micros
        assert higher.savings_percent >= lower.savings_percent
        assert 0 < higher.price_minor <= MAX_PRICE_MINOR


def test_the_largest_purchase_stays_within_stripes_largest_charge() -> None:
    dear = [Tier(1, 100_000_000)]  # one dollar per credit: 10M credits would be $10M
    allowed = purchase_range(dear)
    assert allowed.maximum == 999_999  # $999,999.00; one more credit passes Stripe's maximum
    assert price_amount(allowed.maximum, dear).price_minor == 99_999_900 <= MAX_PRICE_MINOR
    with pytest.raises(AmountOutOfRange):
        price_amount(allowed.maximum + 1, dear)


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (0, InvalidAmount),
        (-5, InvalidAmount),
        ("-5", InvalidAmount),
        ("+500", InvalidAmount),
        ("1e3", InvalidAmount),
        ("1_000", InvalidAmount),
        ("1,000", InvalidAmount),
        (" 500", InvalidAmount),
        ("500.0", InvalidAmount),
        ("٥٠٠", InvalidAmount),  # Arabic-Indic digits  # noqa: RUF001
        ("", InvalidAmount),
        ("9" * 16, InvalidAmount),
        (500.0, InvalidAmount),
        (Decimal("500"), InvalidAmount),
        (True, InvalidAmount),
        (None, InvalidAmount),
        (99, AmountOutOfRange),
        (10_000_001, AmountOutOfRange),
        (10**15, AmountOutOfRange),
    ],
)
def test_bad_amounts_are_refused_with_their_own_code(
    tiers: list[Tier], value: object, error: type[CreditsError]
) -> None:
    with pytest.raises(error) as raised:
        quote(value)
    assert raised.type is error


def test_an_out_of_range_amount_says_what_the_range_is(tiers: list[Tier]) -> None:
    with pytest.raises(AmountOutOfRange) as raised:
        quote(50)
    assert raised.value.details | {"value": 0} == {
        "value": 0,
        "minCredits": 100,
        "maxCredits": 10_000_000,
    }


def test_no_tiers_means_custom_amounts_are_not_on_sale() -> None:
    with pytest.raises(PricingNotConfigured):
        price_amount(500, [])


@pytest.mark.parametrize(
    "table",
    [
        [Tier(100, 900_000), Tier(1_000, 950_000)],  # the price rises with the amount
        [Tier(100, 900_000, 10), Tier(1_000, 800_000, 5)],  # the bonus falls
        [Tier(100, 0)],
        [Tier(0, 900_000)],
        [Tier(100, 900_000, 101)],
        [],
    ],
)
def test_a_tier_table_that_would_reward_buying_less_is_refused(table: list[Tier]) -> None:
    with pytest.raises(InvalidArgument):
        check_tiers(table)
