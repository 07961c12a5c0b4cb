"""Read a wallet's stored state straight from the database, for tests that check the ledger."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import func, select
from sqlmodel import Session

from credits_app.credits.categories import TransactionType
from credits_app.credits.wallet_service import WalletOwner, WalletState, entries, require_wallet
from credits_app.db import unit_of_work


@dataclass(frozen=True)
class LedgerTotals:
    """A wallet's stored balance next to what its ledger says, in units."""

    balance: int
    ledger_sum: int
    entry_count: int


def wallet_state(owner: WalletOwner, session: Session | None = None) -> WalletState:
    """The wallet row as stored (balance, settings, spend_month, spent_this_month)."""
    with unit_of_work(session) as db:
        return require_wallet(db, owner)


def ledger_totals(owner: WalletOwner, session: Session | None = None) -> LedgerTotals:
    """Balance, sum of entries and number of entries of one wallet."""
    with unit_of_work(session) as db:
        wallet = require_wallet(db, owner)
        total, count = db.execute(
            select(func.coalesce(func.sum(entries.c.amount), 0), func.count(entries.c.id)).where(
                entries.c.wallet_id == wallet.id
            )
        ).one()
    return LedgerTotals(wallet.balance, int(total), int(count))


def usage_units_in_month(owner: WalletOwner, month: date, session: Session | None = None) -> int:
    """Units of `usage` entries created in the UTC month starting on `month` (from the ledger)."""
    start = datetime.combine(month, time.min, tzinfo=UTC)
    following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    end = datetime.combine(following, time.min, tzinfo=UTC)
    with unit_of_work(session) as db:
        wallet = require_wallet(db, owner)
        spent = db.execute(
            select(func.coalesce(func.sum(-entries.c.amount), 0)).where(
                entries.c.wallet_id == wallet.id,
                entries.c.type == TransactionType.USAGE.value,
                entries.c.created_at >= start,
                entries.c.created_at < end,
            )
        ).scalar_one()
    return int(spent)
