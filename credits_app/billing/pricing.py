"""Volume pricing of custom amounts: one function, `quote`, prices every custom purchase.

The same quote is shown by `GET /api/credits/pricing`, by the Buy dialog, snapshotted on the
pending purchase and sent to Stripe Checkout as inline `price_data`, so a preview can never
show one price and Checkout charge another.

Rules (README, "Volume pricing"):
- An amount is a whole number of credits from `minimum` to `maximum` (settings, and the
  lowest tier's minimum); anything else is a 400 (`invalid_amount`, `amount_out_of_range`).
- The tier is the one with the largest `min_credits` not above the amount; its unit price
  applies to every credit bought (all-units volume pricing, not graduated brackets).
- Unit prices are exact: integer millionths of a minor unit (cent) per credit.
- **Rounding rule:** `priceCents = credits x unit price`, rounded half up to a whole minor
  unit: `(credits * unit_price_micros + 500_000) // 1_000_000`. Integer arithmetic only.
- Bonus credits are `credits x bonus_percent / 100`, exact (at most two decimal places).
- Savings are against the lowest tier's unit price, rounded down to a whole percent (never
  overstated).
- The tier table never lets the unit price rise (or the bonus fall) as the amount grows
  (`check_tiers`, enforced on every edit), so a larger amount never costs more per credit.
"""

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import Session, col, select

from credits_app.credits.amounts import UNITS_PER_CREDIT
from credits_app.credits.errors import CreditsError, InvalidAmount, InvalidArgument
from credits_app.db import unit_of_work
from credits_app.models import PricingTier
from credits_app.settings import get_settings

MICROS_PER_MINOR = 1_000_000
MAX_PRICE_MINOR = 99_999_999  # Stripe's largest Checkout amount (eight digits of minor units)
WHOLE_NUMBER = re.compile(r"[0-9]{1,15}", re.ASCII)


class AmountOutOfRange(CreditsError):
    """A custom amount below the minimum or above the maximum purchase (400)."""

    code = "amount_out_of_range"


class PricingNotConfigured(CreditsError):
    """The tier table is empty: custom amounts cannot be priced (503)."""

    code = "pricing_not_configured"

    def __init__(self) -> None:
        super().__init__("Custom amounts are not on sale: no pricing tiers are configured.")


@dataclass(frozen=True)
class Tier:
    """One row of the tier table: from `min_credits` whole credits on, this price and bonus."""

    min_credits: int
    unit_price_micros: int
    bonus_percent: int = 0

    @property
    def unit_price_minor(self) -> Decimal:
        """The unit price in minor units (cents) per credit, exact (e.g. Decimal('0.85'))."""
        return _micros_to_minor(self.unit_price_micros)


@dataclass(frozen=True)
class Quote:
    """What `credits` whole credits cost now, and what they bring."""

    credits: int  # whole credits bought (bonus not included)
    bonus_units: int  # bonus credits, in units of 1/10,000 credit
    price_minor: int
    currency: str
    unit_price_micros: int
    savings_percent: int
    tier_min_credits: int

    @property
    def credits_units(self) -> int:
        return int(self.credits * UNITS_PER_CREDIT)

    @property
    def bonus_credits(self) -> Decimal:
        return Decimal(self.bonus_units).scaleb(-4)

    @property
    def unit_price_minor(self) -> Decimal:
        return _micros_to_minor(self.unit_price_micros)


@dataclass(frozen=True)
class PurchaseRange:
    """The whole-credit amounts a custom purchase may have, both ends included."""

    minimum: int
    maximum: int


def quote(credits: object, *, session: Session | None = None) -> Quote:
    """The price of `credits` (an int, or a string of ASCII digits) from the stored tiers."""
    tiers = load_tiers(session=session)
    return price_amount(parse_whole_credits(credits), tiers)


def purchase_range(tiers: Sequence[Tier]) -> PurchaseRange:
    """The allowed amounts: from the settings' minimum (at least the lowest tier's) to the
    settings' maximum, lowered if needed so the price stays within Stripe's largest charge."""
    if not tiers:
        raise PricingNotConfigured()
    settings = get_settings()
    minimum = max(settings.purchase_min_credits, tiers[0].min_credits)
    maximum = settings.purchase_max_credits
    while maximum >= minimum and _price_minor(maximum, _tier_for(maximum, tiers)) > MAX_PRICE_MINOR:
        # Largest amount the tier can charge, then re-check (a lower tier costs more per credit).
        tier = _tier_for(maximum, tiers)
        by_price = (MAX_PRICE_MINOR * MICROS_PER_MINOR + 499_999) // tier.unit_price_micros
        maximum = min(maximum - 1, by_price)
    return PurchaseRange(minimum, maximum)


def price_amount(credits: int, tiers: Sequence[Tier]) -> Quote:
    """The pure pricing function (tiers sorted by `min_credits`, as `load_tiers` returns)."""
    allowed = purchase_range(tiers)
    if not allowed.minimum <= credits <= allowed.maximum:
        raise AmountOutOfRange(
            f"A custom purchase must be {allowed.minimum:,} to {allowed.maximum:,} credits.",
            value=credits,
            minCredits=allowed.minimum,
            maxCredits=allowed.maximum,
        )
    tier = _tier_for(credits, tiers)
    base = tiers[0].unit_price_micros
    return Quote(
        credits=credits,
        bonus_units=int(credits * UNITS_PER_CREDIT * tier.bonus_percent // 100),
        price_minor=_price_minor(credits, tier),
        currency=get_settings().pricing_currency,
        unit_price_micros=tier.unit_price_micros,
        savings_percent=(base - tier.unit_price_micros) * 100 // base,
        tier_min_credits=tier.min_credits,
    )


def parse_whole_credits(value: object) -> int:
    """A whole, positive number of credits: a JSON integer or a string of ASCII digits.

    Fractions, floats, booleans, signs, exponents and separators are refused (400), so
    "1e3", "1_000", "+5" and 12.0 never turn into a purchase of some other amount.
    """
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidAmount("Credits must be a whole number, e.g. 2500.", value=repr(value))
    if isinstance(value, str):
        if not WHOLE_NUMBER.fullmatch(value):
            raise InvalidAmount("Credits must be a whole number, e.g. 2500.", value=value[:40])
        value = int(value)
    if value <= 0:
        raise InvalidAmount("Credits must be greater than zero.", value=value)
    return value


def load_tiers(*, session: Session | None = None) -> list[Tier]:
    """The tier table, lowest minimum first."""
    query = select(PricingTier).order_by(col(PricingTier.min_credits))
    with unit_of_work(session) as db:
        return [
            Tier(row.min_credits, row.unit_price_micros, row.bonus_percent)
            for row in db.exec(query).all()
        ]


def check_tiers(tiers: Sequence[Tier]) -> None:
    """`InvalidArgument` unless, lowest minimum first, unit prices never rise and bonuses
    never fall; every value in its range. Checked before any edit of the table is stored."""
    if not tiers:
        raise InvalidArgument("At least one pricing tier is needed.")
    for tier in tiers:
        if not 0 < tier.min_credits <= 10**11:
            raise InvalidArgument("A tier's minimum must be 1 to 100,000,000,000 credits.")
        if not 0 < tier.unit_price_micros <= MAX_PRICE_MINOR * MICROS_PER_MINOR:
            raise InvalidArgument("A tier's unit price must be positive.")
        if not 0 <= tier.bonus_percent <= 100:
            raise InvalidArgument("A tier's bonus must be 0 to 100 percent.")
    for lower, upper in itertools.pairwise(tiers):
        if upper.min_credits <= lower.min_credits:
            raise InvalidArgument("Tiers must have distinct minimums, in ascending order.")
        if upper.unit_price_micros > lower.unit_price_micros:
            raise InvalidArgument(
                f"The unit price may not rise with the amount: {upper.min_credits:,}+ credits "
                f"would cost more per credit than {lower.min_credits:,}+.",
                minCredits=upper.min_credits,
            )
        if upper.bonus_percent < lower.bonus_percent:
            raise InvalidArgument(
                f"The bonus may not fall with the amount: {upper.min_credits:,}+ credits "
                f"would get less than {lower.min_credits:,}+.",
                minCredits=upper.min_credits,
            )


def _tier_for(credits: int, tiers: Sequence[Tier]) -> Tier:
    chosen = tiers[0]
    for tier in tiers:
        if tier.min_credits <= credits:
            chosen = tier
    return chosen


def _price_minor(credits: int, tier: Tier) -> int:
    """The rounding rule: half up to a whole minor unit, in integers."""
    return (credits * tier.unit_price_micros + MICROS_PER_MINOR // 2) // MICROS_PER_MINOR


def _micros_to_minor(micros: int) -> Decimal:
    return Decimal(micros) / MICROS_PER_MINOR  # exact, shortest form: 0.85, 1, 10
