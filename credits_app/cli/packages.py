"""Catalog commands: `packages list`, `packages upsert` and `packages deactivate`.

The catalog is the only source of prices (DESIGN §3); these commands edit it through the same
domain functions (`billing/packages.py`) whose validation the API's checkout relies on.
"""

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from credits_app.billing import packages as catalog
from credits_app.billing.packages import CatalogPackage
from credits_app.cli.common import console, reports_errors
from credits_app.credits.amounts import format_balance

app = typer.Typer(
    help="Show and edit the credit package catalog (what users can buy, at what price).",
    no_args_is_help=True,
)

# Stripe's zero- and three-decimal currencies; every other currency has cents.
ZERO_DECIMAL_CURRENCIES = frozenset(
    [
        "bif",
        "clp",
        "djf",
        "gnf",
        "jpy",
        "kmf",
        "krw",
        "mga",
        "pyg",
        "rwf",
        "ugx",
        "vnd",
        "vuv",
        "xaf",
        "xof",
        "xpf",
    ]
)
THREE_DECIMAL_CURRENCIES = frozenset(["bhd", "jod", "kwd", "omr", "tnd"])


@app.command("list")
@reports_errors
def list_packages() -> None:
    """Every package, on sale or not, in catalog order."""
    rows = catalog.list_all_packages()
    table = Table(title="Credit packages", title_justify="left")
    # A narrow terminal folds ids and names onto more lines; it never cuts them short.
    for header, min_width in (("id", 12), ("name", 10)):
        longest = max((len(getattr(row, header)) for row in rows), default=0)
        table.add_column(header, overflow="fold", min_width=min(longest, min_width))
    for header in ("credits", "bonus", "price"):
        table.add_column(header, justify="right", no_wrap=True)
    for header in ("currency", "popular", "active"):
        table.add_column(header, no_wrap=True)
    for package in rows:
        table.add_row(
            package.id,
            package.name,
            format_balance(package.credits),
            format_balance(package.bonus_credits),
            format_price(package.price_minor, package.currency),
            package.currency,
            _yes_no(package.popular),
            _yes_no(package.active),
        )
    # Piped or captured output gets whole rows, one line each, so it stays greppable.
    if console.is_terminal:
        console.print(table)
        return
    natural = console.measure(table, options=console.options.update(max_width=10_000)).maximum
    Console(file=console.file, width=max(console.width, natural), markup=False).print(table)


@app.command("upsert")
@reports_errors
def upsert(
    package_id: Annotated[
        str, typer.Argument(metavar="ID", help="Package id: lowercase letters, digits, - and _.")
    ],
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    credits: Annotated[
        str | None, typer.Option(metavar="AMOUNT", help="Credits bought, e.g. 1000 or 12.5.")
    ] = None,
    bonus_credits: Annotated[
        str | None,
        typer.Option(metavar="AMOUNT", help="Extra credits on top (0 for none; new: 0)."),
    ] = None,
    price_cents: Annotated[
        int | None, typer.Option(help="Price in the currency's minor unit (cents), > 0.")
    ] = None,
    currency: Annotated[
        str | None, typer.Option(help="Three-letter lowercase ISO code (new: usd).")
    ] = None,
    popular: Annotated[
        bool | None,
        typer.Option("--popular/--no-popular", help="Highlight it in the shop (new: no)."),
    ] = None,
    active: Annotated[
        bool | None,
        typer.Option("--active/--inactive", help="On sale or not (new: active)."),
    ] = None,
    sort_order: Annotated[
        int | None, typer.Option(metavar="N", help="Listing position, ascending (new: last).")
    ] = None,
    bonus_expires_in_days: Annotated[
        int | None,
        typer.Option(
            metavar="DAYS", help="Bonus credits expire this many days after purchase (0: never)."
        ),
    ] = None,
) -> None:
    """Create a package, or change an existing one: options left out keep their value.

    A new package needs --name, --credits and --price-cents.
    """
    result = catalog.upsert_package(
        package_id,
        name=name,
        credits=credits,
        bonus_credits=bonus_credits,
        price_minor=price_cents,
        currency=currency,
        popular=popular,
        active=active,
        sort_order=sort_order,
        bonus_expires_in_days=bonus_expires_in_days,
    )
    verb = "Created" if result.created else "Updated"
    console.print(f"{verb} package {describe(result.package)}")


@app.command("deactivate")
@reports_errors
def deactivate(
    package_id: Annotated[str, typer.Argument(metavar="ID", help="The package to take off sale.")],
) -> None:
    """Take a package off sale: it leaves the shop and checkout.

    Pending purchases of it are still credited when paid; `upsert ID --active` puts it back.
    """
    package = catalog.set_package_active(package_id, False)
    console.print(f"Deactivated package {describe(package)}")


def describe(package: CatalogPackage) -> str:
    """One line: `pro (Pro): 10,000 + 2,000 bonus credits for 90.00 usd, popular, active.`"""
    flags = ["popular"] if package.popular else []
    flags.append("active" if package.active else "inactive")
    bonus = f" + {format_balance(package.bonus_credits)} bonus" if package.bonus_credits > 0 else ""
    if package.bonus_credits > 0 and package.bonus_expires_in_days:
        bonus += f" (expiring after {package.bonus_expires_in_days} days)"
    return (
        f"{package.id} ({package.name}): {format_balance(package.credits)}{bonus} credits for "
        f"{format_price(package.price_minor, package.currency)} {package.currency}, "
        f"{', '.join(flags)}, sort order {package.sort_order}."
    )


def format_price(price_minor: int, currency: str) -> str:
    """Minor units as the amount a buyer reads: 4500 usd -> '45.00', 500 jpy -> '500'."""
    if currency in ZERO_DECIMAL_CURRENCIES:
        return f"{price_minor:,}"
    places = 3 if currency in THREE_DECIMAL_CURRENCIES else 2
    whole, fraction = divmod(price_minor, 10**places)
    return f"{whole:,}.{fraction:0{places}d}"


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"
