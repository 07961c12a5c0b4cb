"""A wallet's spending settings (monthly limit, warning thresholds) and the overview they drive.

The monthly limit itself is enforced in the ledger's guarded balance move (`ledger_sql.py`), so
every deduction path honours it atomically; this module only stores and reports the settings.
"""

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import TypedDict

from sqlmodel import Session

from credits_app.clock import month_of, utcnow
from credits_app.credits.amounts import AmountInput, parse_credits, units_to_credits
from credits_app.credits.errors import InvalidArgument
from credits_app.credits.lot_reads import LotView, expiring_soon, wallet_with_lots
from credits_app.credits.wallet_service import (
    WalletOwner,
    WalletState,
    require_wallet,
    wallets,
)
from credits_app.db import unit_of_work


class BalanceStatus(StrEnum):
    """How worried the user should be about a balance; drives header colours and banners."""

    OK = "ok"
    LOW = "low"
    CRITICAL = "critical"


class SettingsChange(TypedDict, total=False):
    """A partial update: a key that is present is set (None clears it); a missing key is kept."""

    monthly_limit: AmountInput | None
    low_threshold: AmountInput | None
    critical_threshold: AmountInput | None


@dataclass(frozen=True)
class WalletSettings:
    """The stored settings in credits; None means "no limit" / "no warning"."""

    monthly_limit: Decimal | None
    low_threshold: Decimal | None
    critical_threshold: Decimal | None


@dataclass(frozen=True)
class BalanceOverview:
    """Everything a balance widget shows, read in one transaction."""

    balance: Decimal
    status: BalanceStatus
    settings: WalletSettings
    used_this_month: Decimal
    held: Decimal = Decimal(0)  # reserved by in-flight requests
    available: Decimal = Decimal(0)  # balance - held: what can be spent now
    expiring: tuple[LotView, ...] = ()  # lots expiring within 30 days, soonest first
    lots: tuple[LotView, ...] = ()  # every lot with credits left, in consumption order


def get_balance_overview(owner: WalletOwner, *, session: Session | None = None) -> BalanceOverview:
    """Balance, held and available, its status, this month's spending, and what expires soon."""
    wallet, lots = wallet_with_lots(owner, session=session)
    return BalanceOverview(
        balance=units_to_credits(wallet.balance),
        status=balance_status(wallet),
        settings=_settings_of(wallet),
        used_this_month=units_to_credits(wallet.spent_in(month_of(utcnow()))),
        held=units_to_credits(wallet.held),
        available=units_to_credits(wallet.available),
        expiring=tuple(expiring_soon(lots)),
        lots=tuple(lots),
    )


def update_wallet_settings(
    owner: WalletOwner, change: SettingsChange, *, session: Session | None = None
) -> WalletSettings:
    """Apply a partial settings update; the critical threshold may not exceed the low one."""
    values: dict[str, int | None] = {}
    if "monthly_limit" in change:
        values["monthly_limit"] = _units_or_none(change["monthly_limit"])
    if "low_threshold" in change:
        values["low_threshold"] = _units_or_none(change["low_threshold"])
    if "critical_threshold" in change:
        values["critical_threshold"] = _units_or_none(change["critical_threshold"])
    with unit_of_work(session) as db:
        wallet = require_wallet(db, owner)
        merged = {
            "monthly_limit": wallet.monthly_limit,
            "low_threshold": wallet.low_threshold,
            "critical_threshold": wallet.critical_threshold,
        } | values
        low, critical = merged["low_threshold"], merged["critical_threshold"]
        if low is not None and critical is not None and critical > low:
            raise InvalidArgument(
                "criticalThreshold must not be greater than lowThreshold.",
                field="criticalThreshold",
            )
        db.execute(wallets.update().where(wallets.c.id == wallet.id).values(**merged))
        updated = require_wallet(db, owner)
    return _settings_of(updated)


def balance_status(wallet: WalletState) -> BalanceStatus:
    """Judged on what can be spent (available, not the balance with held credits): critical at
    or below the critical threshold (or at zero), low at or below the low one."""
    available = wallet.available
    if available <= 0 or _at_or_below(available, wallet.critical_threshold):
        return BalanceStatus.CRITICAL
    if _at_or_below(available, wallet.low_threshold):
        return BalanceStatus.LOW
    return BalanceStatus.OK


def _at_or_below(balance: int, threshold: int | None) -> bool:
    return threshold is not None and balance <= threshold


def _units_or_none(value: AmountInput | None) -> int | None:
    return None if value is None else parse_credits(value)


def _settings_of(wallet: WalletState) -> WalletSettings:
    def credits_or_none(units: int | None) -> Decimal | None:
        return None if units is None else units_to_credits(units)

    return WalletSettings(
        monthly_limit=credits_or_none(wallet.monthly_limit),
        low_threshold=credits_or_none(wallet.low_threshold),
        critical_threshold=credits_or_none(wallet.critical_threshold),
    )
