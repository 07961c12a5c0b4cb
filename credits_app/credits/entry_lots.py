"""Which lots a ledger entry used: the allocations of a debit, explained lot by lot (§3b).

Every debit (usage, a settled hold, transfer out, clawback, negative adjustment, expiry)
records the units it took from each lot in `credit_allocations`; this reads them back for the
history's detail drawer and `GET …/credits/transactions/{id}/lots`. Holds still pending pin
units with rows that have no entry yet; those belong to no history entry and are left out.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from credits_app.clock import as_utc
from credits_app.credits.owners import WalletOwner
from credits_app.credits.spend_refunds import TransactionNotFound
from credits_app.credits.wallet_service import allocations, entries, lots, require_wallet
from credits_app.db import unit_of_work


@dataclass(frozen=True)
class LotUse:
    """Units one entry took from one lot, with what the lot was."""

    lot_id: int
    source: str
    units: int
    expires_at: datetime | None
    created_at: datetime


def lots_used(
    owner: WalletOwner, entry_ids: Iterable[int], *, session: Session | None = None
) -> dict[int, list[LotUse]]:
    """For each of these entries of the owner's wallet, the lots it took from, in the order
    they were taken; entries of other wallets (or credits) map to nothing. One query."""
    wanted = sorted({int(entry_id) for entry_id in entry_ids})
    used: dict[int, list[LotUse]] = {}
    if not wanted:
        return used
    with unit_of_work(session) as db:
        wallet = require_wallet(db, owner)
        rows = db.execute(
            select(
                allocations.c.entry_id,
                lots.c.id,
                lots.c.source,
                allocations.c.units,
                lots.c.expires_at,
                lots.c.created_at,
            )
            .join(lots, lots.c.id == allocations.c.lot_id)
            .join(entries, entries.c.id == allocations.c.entry_id)
            .where(entries.c.wallet_id == wallet.id, allocations.c.entry_id.in_(wanted))
            .order_by(allocations.c.entry_id, allocations.c.id)
        ).all()
    for row in rows:
        used.setdefault(int(row.entry_id), []).append(
            LotUse(
                lot_id=int(row.id),
                source=row.source,
                units=int(row.units),
                expires_at=as_utc(row.expires_at) if row.expires_at else None,
                created_at=as_utc(row.created_at),
            )
        )
    return used


def entry_lots(
    owner: WalletOwner, entry_id: int, *, session: Session | None = None
) -> list[LotUse]:
    """The lots one entry of the owner's wallet used ([] for a credit); an entry of another
    wallet, or none, is `TransactionNotFound` (the two look the same)."""
    with unit_of_work(session) as db:
        wallet = require_wallet(db, owner)
        found = db.execute(
            select(entries.c.id).where(entries.c.id == entry_id, entries.c.wallet_id == wallet.id)
        ).one_or_none()
        if found is None:
            raise TransactionNotFound(entry_id)
        return lots_used(owner, [entry_id], session=db).get(entry_id, [])
