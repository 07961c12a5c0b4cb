"""The expiry sweep: write the `expiry` entries of idle wallets whose lots are due.

Writes on a wallet expire its due lots themselves (`wallet_service.lock_wallet`) and reads
never count them, so the sweep only brings idle wallets' ledgers up to date, every
`EXPIRY_SWEEP_SECONDS` (the worker's periodic `lots.expire_due` job, `jobs/catalog.py`) or on
demand (`python -m credits_app expire-credits`). Each wallet is handled under its own row
lock, exactly like a write, and each lot's entry has a unique key, so concurrent sweeps (or a
sweep racing a spend) expire a lot exactly once. `expire_due_lots` is a plain function over
the caller's session.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from credits_app.clock import utcnow
from credits_app.credits.balance_moves import expire_due_lots_locked, read_wallet
from credits_app.credits.categories import OwnerKind
from credits_app.credits.owners import WalletOwner
from credits_app.credits.wallet_service import lots, wallets
from credits_app.db import unit_of_work

logger = logging.getLogger(__name__)
BATCH_WALLETS = 100


@dataclass(frozen=True)
class SweepReport:
    """What one sweep did."""

    wallets: int
    lots: int


def expire_due_lots(
    session: Session, *, now: datetime | None = None, limit: int = BATCH_WALLETS
) -> SweepReport:
    """Expire the due lots of up to `limit` wallets in the caller's transaction.

    Wallets are locked in id order (as transfers lock them), so a sweep cannot deadlock with
    writers. Returns how many wallets and lots it expired; 0 wallets means nothing is due.
    """
    moment = now or utcnow()
    due_wallets = session.execute(
        select(wallets.c.id, wallets.c.owner_kind, wallets.c.owner_id)
        .where(
            wallets.c.id.in_(
                select(lots.c.wallet_id).where(
                    lots.c.expires_at <= moment, lots.c.remaining > lots.c.held
                )
            )
        )
        .order_by(wallets.c.id)
        .limit(limit)
    ).all()
    expired_lots = 0
    for wallet_id, kind, owner_id in due_wallets:
        read_wallet(session, WalletOwner(OwnerKind(kind), owner_id), moment, lock=True)
        expired_lots += expire_due_lots_locked(session, wallet_id, moment)
    return SweepReport(len(due_wallets), expired_lots)


def sweep_expired_lots() -> SweepReport:
    """Expire everything due, one transaction per batch of wallets (the CLI and the loop)."""
    total_wallets = total_lots = 0
    while True:
        with unit_of_work() as db:
            report = expire_due_lots(db)
        total_wallets += report.wallets
        total_lots += report.lots
        if report.wallets < BATCH_WALLETS:
            return SweepReport(total_wallets, total_lots)
