"""Editing the volume pricing tiers (the operator CLI's `pricing` commands).

Every edit loads the whole table, applies the change, and stores it only if the result still
passes `pricing.check_tiers` (unit price never rising, bonus never falling with the amount).
Pending purchases snapshot their quote, so an edit never changes what one costs.
"""

import re
from decimal import Decimal, InvalidOperation

from sqlmodel import Session, col, delete, select

from credits_app.billing.pricing import MICROS_PER_MINOR, Tier, check_tiers, parse_whole_credits
from credits_app.clock import utcnow
from credits_app.credits.errors import CreditsError, InvalidArgument
from credits_app.db import unit_of_work
from credits_app.models import PricingTier

PRICE_TEXT = re.compile(r"[0-9]{1,9}(\.[0-9]{1,6})?", re.ASCII)


class TierNotFound(CreditsError):
    """No tier starts at this minimum (404)."""

    code = "pricing_tier_not_found"

    def __init__(self, min_credits: int) -> None:
        super().__init__(
            f"No pricing tier starts at {min_credits:,} credits.", minCredits=min_credits
        )


def parse_unit_price(text: str) -> int:
    """Cents per credit written as a decimal (e.g. "0.85") as exact millionths of a cent."""
    if not isinstance(text, str) or not PRICE_TEXT.fullmatch(text.strip()):
        raise InvalidArgument(
            "Unit price must be cents per credit with at most 6 decimals, e.g. 0.85.",
            value=str(text)[:40],
        )
    try:
        micros = int(Decimal(text.strip()) * MICROS_PER_MINOR)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        raise InvalidArgument("Unit price must be a decimal number.") from None
    if micros <= 0:
        raise InvalidArgument("Unit price must be greater than zero.", value=text)
    return micros


def set_tier(
    min_credits: object,
    unit_price_micros: int,
    bonus_percent: int = 0,
    *,
    session: Session | None = None,
) -> list[Tier]:
    """Create or replace the tier starting at `min_credits`; returns the whole new table."""
    minimum = parse_whole_credits(min_credits)
    if isinstance(bonus_percent, bool) or not isinstance(bonus_percent, int):
        raise InvalidArgument("Bonus must be a whole percentage.", value=repr(bonus_percent))
    with unit_of_work(session) as db:
        rows = _locked_rows(db)
        tiers = {
            row.min_credits: Tier(row.min_credits, row.unit_price_micros, row.bonus_percent)
            for row in rows
        }
        tiers[minimum] = Tier(minimum, unit_price_micros, bonus_percent)
        table = sorted(tiers.values(), key=lambda tier: tier.min_credits)
        check_tiers(table)
        row = next((row for row in rows if row.min_credits == minimum), None)
        if row is None:
            row = PricingTier(min_credits=minimum, unit_price_micros=unit_price_micros)
        row.unit_price_micros = unit_price_micros
        row.bonus_percent = bonus_percent
        row.updated_at = utcnow()
        db.add(row)
        db.flush()
        return table


def remove_tier(min_credits: object, *, session: Session | None = None) -> list[Tier]:
    """Delete the tier starting at `min_credits` (never the last one); returns the new table."""
    minimum = parse_whole_credits(min_credits)
    with unit_of_work(session) as db:
        rows = _locked_rows(db)
        if minimum not in {row.min_credits for row in rows}:
            raise TierNotFound(minimum)
        table = [
            Tier(row.min_credits, row.unit_price_micros, row.bonus_percent)
            for row in rows
            if row.min_credits != minimum
        ]
        check_tiers(table)
        db.exec(delete(PricingTier).where(col(PricingTier.min_credits) == minimum))
        return table


def _locked_rows(db: Session) -> list[PricingTier]:
    """Every tier, locked until commit, so two edits of the table queue behind each other."""
    query = select(PricingTier).order_by(col(PricingTier.min_credits)).with_for_update()
    return list(db.exec(query).all())
