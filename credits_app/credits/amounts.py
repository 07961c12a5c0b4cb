"""Fixed-point credit amounts.

Storage unit: 1 credit = 10,000 units (four decimal places), held in BIGINT columns.

Rounding rule:
- Amounts a caller passes in (grants, deductions, limits) are never rounded: a value that is
  not an exact multiple of 0.0001 credit is refused with `InvalidAmount`.
- Amounts the platform computes (AI charges from rates) round *up* to the next unit with
  `ceil_to_units`, so a charge is never understated.
Floats are refused outright: they cannot represent most decimal amounts exactly.
"""

import re
from decimal import Decimal, Inexact, InvalidOperation, localcontext

from credits_app.credits.errors import InvalidAmount

SCALE = 4
UNITS_PER_CREDIT = 10**SCALE
MAX_AMOUNT_CREDITS = 10**12
MAX_AMOUNT_UNITS = MAX_AMOUNT_CREDITS * UNITS_PER_CREDIT
MAX_BALANCE_UNITS = 10**18  # below BIGINT's 9.2e18, so arithmetic never overflows


class Units(int):
    """An amount already in units (e.g. a purchase's stored credits): taken as is, not parsed
    from credits, so code that holds units never turns them into Decimals and back."""


AmountInput = Decimal | int | str

# The only text an amount may be written as: ASCII digits, an optional minus and fraction.
# Python's Decimal also reads Arabic-Indic and full-width digits, "1_000", " 1 ", "+1" and
# "1e3"; the wire format does not (README, "Amounts on the wire"), nor do the UI's forms.
AMOUNT_TEXT = re.compile(r"-?[0-9]+(\.[0-9]+)?", re.ASCII)


def parse_credit_text(text: str) -> int:
    """Units of an amount a person or client wrote as text, by the wire format's rule."""
    if not AMOUNT_TEXT.fullmatch(text):
        raise InvalidAmount(
            "An amount written as a string must be ASCII digits with an optional '-' and "
            'decimal fraction, like "12.5".',
            value=text,
        )
    return parse_credits(text)


def parse_credits(value: AmountInput) -> int:
    """Exact units of a positive credit amount, or `InvalidAmount` saying what is wrong."""
    if isinstance(value, Units):
        if not 0 < value <= MAX_AMOUNT_UNITS:
            raise InvalidAmount("Amount must be greater than zero.", value=str(value))
        return int(value)
    decimal_value = _to_decimal(value)
    if not decimal_value.is_finite():
        raise InvalidAmount("Amount must be a finite number.", value=str(value))
    if decimal_value <= 0:
        raise InvalidAmount("Amount must be greater than zero.", value=str(value))
    if decimal_value > MAX_AMOUNT_CREDITS:
        raise InvalidAmount(
            f"Amount must be at most {MAX_AMOUNT_CREDITS} credits.", value=str(value)
        )
    return _exact_units(decimal_value, value)


def ceil_to_units(value: Decimal) -> int:
    """Round a computed, non-negative charge up to whole units (the AI pricing rule)."""
    if not value.is_finite() or value < 0:
        raise InvalidAmount("A computed charge must be a finite, non-negative number.")
    with localcontext() as ctx:
        ctx.prec = 60
        return int((value * UNITS_PER_CREDIT).to_integral_value(rounding="ROUND_CEILING"))


def units_to_credits(units: int) -> Decimal:
    """Units as a Decimal with exactly four places, e.g. 125000 -> Decimal('12.5000')."""
    return Decimal(units).scaleb(-SCALE)


def format_credits(units: int) -> str:
    """Human text without trailing zeros: 125000 -> '12.5', 10000000 -> '1,000'."""
    return f"{units_to_credits(units):,.4f}".rstrip("0").rstrip(".")


def format_balance(balance: Decimal) -> str:
    """Display text for a balance or result the services returned (zero included)."""
    return format_credits(int(balance.scaleb(SCALE)))


def _to_decimal(value: AmountInput) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise InvalidAmount(
            "Amount must be a decimal number (int, Decimal or string), not a float.",
            value=repr(value),
        )
    try:
        return Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise InvalidAmount("Amount is not a number.", value=str(value)) from None


def _exact_units(decimal_value: Decimal, original: AmountInput) -> int:
    with localcontext() as ctx:
        ctx.prec = 60
        ctx.traps[Inexact] = True
        try:
            scaled = decimal_value.scaleb(SCALE)
        except ArithmeticError:  # e.g. 1e-999999999999: far below one unit, never exact
            scaled = None
    if scaled is None or scaled != scaled.to_integral_value():
        raise InvalidAmount(f"Amount has more than {SCALE} decimal places.", value=str(original))
    return int(scaled)
