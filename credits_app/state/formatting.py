"""Display rules every presenter shares: signed amounts, shares, money, labels and times.

Everything the browser receives is a string, an int or a bool: amounts are formatted here with
the shared `format_balance` rule, so no Decimal (and no float arithmetic on money) ever reaches
the client. Pure functions, unit-tested without Reflex or a browser.
"""

from datetime import UTC, datetime
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from credits_app.ai.demo_provider import DEMO_IMAGE_MODEL, DEMO_STT_MODEL, DEMO_TTS_MODEL
from credits_app.ai.providers import DEMO_MODEL
from credits_app.credits.amounts import format_balance
from credits_app.credits.categories import CreditUsageCategory, TransactionType

MINUS = "\u2212"  # a real minus sign lines up with "+" in tabular figures
CURRENCY_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£"}
COMPACT_PLACES = Decimal("0.01")
DEMO_MODEL_LABEL = "Demo model"

TYPE_LABELS: dict[str, str] = {
    TransactionType.PURCHASE: "Purchase",
    TransactionType.USAGE: "Usage",
    TransactionType.GRANT: "Grant",
    TransactionType.REFUND: "Refund",
    TransactionType.TRANSFER_IN: "Transfer in",
    TransactionType.TRANSFER_OUT: "Transfer out",
    TransactionType.EXPIRY: "Expiry",
    TransactionType.ADJUSTMENT: "Adjustment",
}
CATEGORY_LABELS: dict[str, str] = {
    CreditUsageCategory.AI_USAGE: "AI usage",
    CreditUsageCategory.MARKETPLACE: "Marketplace",
    CreditUsageCategory.PREMIUM_FEATURE: "Premium features",
    CreditUsageCategory.SUBSCRIPTION: "Subscriptions",
    CreditUsageCategory.TRANSFER: "Transfers",
    CreditUsageCategory.OTHER: "Other",
}


def type_label(entry_type: str) -> str:
    """'Transfer in' for 'transfer_in'; unknown types title-cased rather than hidden."""
    return TYPE_LABELS.get(entry_type, entry_type.replace("_", " ").title())


def signed_amount(amount: Decimal) -> str:
    """'+12,000' for credits in, MINUS + '150' for credits out (the ledger amount is signed)."""
    sign = "+" if amount > 0 else MINUS
    return sign + format_balance(abs(amount))


def compact_balance(balance: Decimal) -> str:
    """A balance for tight spots (the header pill): at most two decimals, rounded *down*, so it
    never shows more than the wallet holds; the exact figure goes in the tooltip."""
    return format_balance(balance.quantize(COMPACT_PLACES, rounding=ROUND_DOWN))


def optional_amount(amount: Decimal | None) -> str:
    """'' for "not set" (no limit, no threshold), else the formatted amount."""
    return "" if amount is None else format_balance(amount)


def percent(part: Decimal, whole: Decimal) -> int:
    """A whole percentage between 0 and 100 (0 when there is nothing to divide by)."""
    if whole <= 0:
        return 0
    share = (part * 100 / whole).to_integral_value(rounding=ROUND_HALF_UP)
    return max(0, min(100, int(share)))


def money(minor: int, currency: str) -> str:
    """'$90.00' for 9000 cents; unknown currencies as '90.00 CHF'."""
    return money_decimal(Decimal(minor).scaleb(-2), currency)


def money_decimal(amount: Decimal, currency: str) -> str:
    """An exact money amount with two decimals and the currency's symbol."""
    text = f"{amount.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,.2f}"
    symbol = CURRENCY_SYMBOLS.get(currency.lower())
    return f"{symbol}{text}" if symbol else f"{text} {currency.upper()}"


def iso_utc(moment: datetime) -> str:
    """An ISO 8601 UTC timestamp for the browser, which shows it in the viewer's own zone."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")


def utc_text(moment: datetime) -> str:
    """'Mar 4, 2026, 14:05 UTC': the exact moment, shown on hover next to the local time."""
    aware = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    return f"{aware.strftime('%b')} {aware.day}, {aware.year}, {aware.strftime('%H:%M')} UTC"


DEMO_MEDIA_LABELS = {
    DEMO_IMAGE_MODEL: "Demo image model",
    DEMO_TTS_MODEL: "Demo speech model",
    DEMO_STT_MODEL: "Demo transcription model",
}


def model_label(model: str) -> str:
    """How a model is named everywhere (assistant, Usage tab): the demo models get plain labels."""
    if model == DEMO_MODEL:
        return DEMO_MODEL_LABEL
    return DEMO_MEDIA_LABELS.get(model, model)
