"""The package catalog as the purchase grid and the confirmation dialog show it."""

from dataclasses import dataclass
from decimal import Decimal

from credits_app.billing.packages import PackageInfo
from credits_app.billing.pricing import PurchaseRange, Quote
from credits_app.credits.amounts import format_balance
from credits_app.state.formatting import money, money_decimal, percent

PER_CREDITS = 1000  # prices per credit are tiny; "per 1,000 credits" reads better


@dataclass(frozen=True)
class PackageCard:
    """A package in the purchase grid and the confirmation dialog."""

    id: str = ""
    name: str = ""
    total_credits: str = ""
    base_credits: str = ""
    bonus_credits: str = ""
    has_bonus: bool = False
    price: str = ""
    price_per_thousand: str = ""
    savings: str = ""
    popular: bool = False


def package_cards(packages: list[PackageInfo]) -> list[PackageCard]:
    """The catalog with prices per 1,000 credits and the saving against the dearest package."""
    rates = [_price_per_thousand(package) for package in packages]
    dearest = max(rates, default=Decimal(0))
    return [
        PackageCard(
            id=package.id,
            name=package.name,
            total_credits=format_balance(package.total_credits),
            base_credits=format_balance(package.credits),
            bonus_credits=format_balance(package.bonus_credits),
            has_bonus=package.bonus_credits > 0,
            price=money(package.price_minor, package.currency),
            price_per_thousand=money_decimal(rate, package.currency),
            savings=_savings(rate, dearest),
            popular=package.popular,
        )
        for package, rate in zip(packages, rates, strict=True)
    ]


def _price_per_thousand(package: PackageInfo) -> Decimal:
    if package.total_credits <= 0:
        return Decimal(0)
    return Decimal(package.price_minor).scaleb(-2) * PER_CREDITS / package.total_credits


def _savings(rate: Decimal, dearest: Decimal) -> str:
    saved = percent(dearest - rate, dearest)
    return f"Save {saved}%" if saved >= 1 else ""


@dataclass(frozen=True)
class QuoteView:
    """A custom amount's live quote in the Buy dialog (the same numbers Checkout charges)."""

    credits: str = ""  # "12,345"
    total_credits: str = ""  # bonus included
    bonus_credits: str = ""
    has_bonus: bool = False
    price: str = ""
    unit_price: str = ""  # "0.85¢ per credit"
    price_per_thousand: str = ""  # "$8.50 per 1,000 credits"
    savings: str = ""  # "Save 15%" or ""
    valid: bool = False


def quote_view(quote: Quote) -> QuoteView:
    """The quote as the dialog shows it; amounts exact, prices from the quote itself."""
    per_thousand = quote.unit_price_minor * PER_CREDITS
    return QuoteView(
        credits=f"{quote.credits:,}",
        total_credits=format_balance(Decimal(quote.credits) + quote.bonus_credits),
        bonus_credits=format_balance(quote.bonus_credits),
        has_bonus=quote.bonus_units > 0,
        price=money(quote.price_minor, quote.currency),
        unit_price=f"{quote.unit_price_minor}¢ per credit",
        price_per_thousand=f"{money_decimal(per_thousand.scaleb(-2), quote.currency)} per 1,000",
        savings=f"Save {quote.savings_percent}%" if quote.savings_percent >= 1 else "",
        valid=True,
    )


def range_hint(allowed: PurchaseRange) -> str:
    """'100 to 10,000,000 credits' under the custom amount field."""
    return f"{allowed.minimum:,} to {allowed.maximum:,} credits"
