"""Volume pricing commands: `pricing list`, `pricing set`, `pricing remove` and `pricing quote`.

The tier table prices every custom-amount purchase (billing/pricing.py); these commands edit
it through the same domain functions, which refuse a table whose unit price would rise (or
bonus fall) as the amount grows.
"""

from typing import Annotated

import typer
from rich.table import Table

from credits_app.billing import pricing, pricing_tiers
from credits_app.billing.pricing import Tier
from credits_app.cli.common import console, reports_errors
from credits_app.cli.packages import format_price
from credits_app.credits.amounts import format_balance
from credits_app.settings import get_settings

app = typer.Typer(
    help="Show and edit the volume pricing tiers (the price of custom credit amounts).",
    no_args_is_help=True,
)

MinCredits = Annotated[
    str, typer.Argument(metavar="MIN_CREDITS", help="The tier applies from this many credits on.")
]


@app.command("list")
@reports_errors
def list_tiers() -> None:
    """Every tier, lowest minimum first, with the allowed purchase range."""
    _print_table(pricing.load_tiers())


@app.command("set")
@reports_errors
def set_tier(
    min_credits: MinCredits,
    unit_price_cents: Annotated[
        str,
        typer.Option(
            "--unit-price-cents", metavar="CENTS", help="Cents per credit, e.g. 0.85 (6 decimals)."
        ),
    ],
    bonus_percent: Annotated[
        int, typer.Option(metavar="PERCENT", help="Bonus credits on top, 0 to 100 %.")
    ] = 0,
) -> None:
    """Create or replace the tier starting at MIN_CREDITS."""
    micros = pricing_tiers.parse_unit_price(unit_price_cents)
    table = pricing_tiers.set_tier(min_credits, micros, bonus_percent)
    console.print(f"Set the tier from {int(min_credits):,} credits.")
    _print_table(table)


@app.command("remove")
@reports_errors
def remove_tier(min_credits: MinCredits) -> None:
    """Delete the tier starting at MIN_CREDITS (the last tier cannot be removed)."""
    table = pricing_tiers.remove_tier(min_credits)
    console.print(f"Removed the tier from {int(min_credits):,} credits.")
    _print_table(table)


@app.command("quote")
@reports_errors
def quote(credits: Annotated[str, typer.Argument(metavar="CREDITS")]) -> None:
    """What a custom purchase of CREDITS costs (exactly what Checkout would charge)."""
    result = pricing.quote(credits)
    bonus = f" + {format_balance(result.bonus_credits)} bonus" if result.bonus_units else ""
    price = format_price(result.price_minor, result.currency)
    console.print(
        f"{result.credits:,}{bonus} credits for {price} {result.currency} "
        f"({result.unit_price_minor} cents per credit, "
        f"saving {result.savings_percent}%)."
    )


def _print_table(tiers: list[Tier]) -> None:
    table = Table(title="Pricing tiers", title_justify="left")
    for header in ("from credits", "cents per credit", "bonus %"):
        table.add_column(header, justify="right", no_wrap=True)
    for tier in tiers:
        table.add_row(f"{tier.min_credits:,}", str(tier.unit_price_minor), str(tier.bonus_percent))
    console.print(table)
    allowed = pricing.purchase_range(tiers)
    console.print(
        f"Custom purchases: {allowed.minimum:,} to {allowed.maximum:,} credits, in "
        f"{get_settings().pricing_currency}."
    )
