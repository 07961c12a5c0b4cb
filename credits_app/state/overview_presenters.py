"""The balance overview as the header pill, the balance card and the warnings show it.

One view object for all three, so adding a figure means the presenter and the component that
shows it, nothing in between. `overview_view` decides the welcome state too: a wallet that
never had an entry is *new*, not "critically low".
"""

from dataclasses import dataclass, field
from datetime import date

from credits_app.credits.amounts import format_balance, format_credits
from credits_app.credits.lot_reads import LotView
from credits_app.credits.wallet_settings import BalanceOverview
from credits_app.state.formatting import compact_balance, iso_utc, optional_amount, percent

NEAR_LIMIT_PERCENT = 80
NEW_STATUS = "new"  # an empty wallet that has never had credits: welcome, not alarm
SOURCE_LABELS = {
    "purchase": "Purchased",
    "bonus": "Package bonus",
    "grant": "Granted",
    "promotion": "Promotion",
    "transfer": "Transferred in",
    "refund": "Refunded",
    "opening": "Earlier balance",
}


@dataclass(frozen=True)
class LotRow:
    """One lot with credits left, as the "Expiring credits" list shows it."""

    id: str
    remaining: str
    source: str
    expires: str  # "14 Dec 2026", or "Never expires"
    expires_at: str  # ISO 8601 UTC, "" when it never expires
    held: str  # "" unless in-flight requests hold some of it
    expires_soon: bool  # within 30 days


@dataclass(frozen=True)
class OverviewView:
    """The balance widgets' figures, all as display text, small ints and flags."""

    balance: str = ""
    header_balance: str = ""  # at most two decimals; `balance` (exact) is in the tooltip
    status: str = "ok"  # ok | low | critical | new
    low_threshold: str = ""
    critical_threshold: str = ""
    used_this_month: str = ""
    monthly_limit: str = ""
    percent_used: int = 0
    limit_reached: bool = False
    near_limit: bool = False
    tooltip: str = ""
    welcome: bool = False
    offers_buy: bool = False  # a banner already offers "Buy credits": no second button
    next_expiry: str = ""  # "1,000 credits expire on 14 Dec" ("" when nothing expires soon)
    lots: list[LotRow] = field(default_factory=list)  # spent first, first


def overview_view(overview: BalanceOverview, *, has_history: bool = True) -> OverviewView:
    """Balance, status and this month's spending; the share follows the AI widget's rule:
    used ÷ monthly limit when one is set, else used ÷ (used + balance)."""
    settings = overview.settings
    limit = settings.monthly_limit
    used = overview.used_this_month
    whole = limit if limit is not None else used + overview.balance
    welcome = not has_history and overview.balance == 0
    status = NEW_STATUS if welcome else overview.status.value
    low, critical = (
        optional_amount(settings.low_threshold),
        optional_amount(settings.critical_threshold),
    )
    balance = format_balance(overview.balance)
    return OverviewView(
        balance=balance,
        header_balance=compact_balance(overview.balance),
        status=status,
        low_threshold=low,
        critical_threshold=critical,
        used_this_month=format_balance(used),
        monthly_limit=optional_amount(limit),
        percent_used=percent(used, whole),
        limit_reached=limit is not None and used >= limit,
        near_limit=limit is not None and percent(used, limit) >= NEAR_LIMIT_PERCENT,
        tooltip=f"{balance} credits. " + status_tooltip(status, low, critical),
        welcome=welcome,
        offers_buy=status in {"low", "critical", NEW_STATUS},
        next_expiry=next_expiry_text(overview.expiring),
        lots=[lot_row(lot, overview.expiring) for lot in overview.lots],
    )


def next_expiry_text(expiring: tuple[LotView, ...]) -> str:
    """What expires first, summed over the lots expiring that UTC day: "1,000 credits expire on
    14 Dec" (`expiring` is soonest first)."""
    if not expiring or expiring[0].expires_at is None:
        return ""
    day = expiring[0].expires_at.date()
    units = sum(
        lot.remaining for lot in expiring if lot.expires_at and lot.expires_at.date() == day
    )
    noun = "credit expires" if units == 10_000 else "credits expire"
    return f"{format_credits(units)} {noun} on {_day_text(day)}"


def lot_row(lot: LotView, expiring: tuple[LotView, ...]) -> LotRow:
    """A lot in words: how much is left, where it came from, until when it counts."""
    return LotRow(
        id=str(lot.id),
        remaining=format_credits(lot.remaining),
        source=SOURCE_LABELS.get(lot.source, lot.source.title()),
        expires=f"{_day_text(lot.expires_at.date())} {lot.expires_at.year}"
        if lot.expires_at
        else "Never expires",
        expires_at=iso_utc(lot.expires_at) if lot.expires_at else "",
        held=f"{format_credits(lot.held)} in use" if lot.held else "",
        expires_soon=any(soon.id == lot.id for soon in expiring),
    )


def _day_text(day: date) -> str:
    return f"{day.day} {day:%b}"


def status_tooltip(status: str, low: str, critical: str) -> str:
    """What the header colour means and where the thresholds are, in one sentence or two."""
    if status == NEW_STATUS:
        return "A new wallet: buy credits to start using AI, apps and premium features."
    thresholds = _thresholds_text(low, critical)
    if status == "critical":
        return f"Critical balance. {thresholds} Buy credits to keep things running."
    if status == "low":
        return f"Low balance. {thresholds}"
    return f"Balance is healthy. {thresholds}"


def _thresholds_text(low: str, critical: str) -> str:
    parts = []
    if low:
        parts.append(f"low at {low}")
    if critical:
        parts.append(f"critical at {critical}")
    if not parts:
        return "No warning thresholds set; an empty wallet counts as critical."
    return "Warnings: " + " and ".join(parts) + " credits."
