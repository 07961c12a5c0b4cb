"""Holds: reserve credits for a request whose final cost is known only afterwards (AI calls).

`place_hold` pins the worst-case cost on the wallet's lots in consumption order (their
`held`, and `wallets.held`) with the same guarded move as any debit: it passes only if the
free units of unexpired lots cover it and the monthly limit leaves room, so concurrent
requests each reserve their own share and together can never overdraw the wallet.
`settle_hold` books the actual cost as one ledger entry spent from the pinned units and gives
the rest back; `release_hold` gives it all back (provider failure). Pinned units never expire
while pinned; returned to a lot that expired meanwhile, they expire at once. A hold that is
never closed (a crashed worker) expires after `HOLD_TTL` and is released by the next hold or
refused debit there. Held credits are not ledger entries: the balance still equals the sum of
the ledger and of the lots.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from credits_app.clock import utcnow
from credits_app.credits.amounts import units_to_credits
from credits_app.credits.balance_moves import Move, Takes, WalletState, apply_move
from credits_app.credits.categories import OwnerKind, TransactionType, parse_category
from credits_app.credits.errors import InvalidArgument
from credits_app.credits.hold_expiry import close_hold, holds, release_expired_holds, unpin_hold
from credits_app.credits.owners import WalletOwner
from credits_app.credits.wallet_service import (
    EntryDraft,
    debit_refusal,
    lock_wallet,
    require_wallet,
    wallets,
)
from credits_app.db import unit_of_work


@dataclass(frozen=True)
class SettledHold:
    """What a settlement charged (units), the ledger entry (if any) and the balance after it."""

    charged: int
    entry_id: int | None
    balance_after: int


def place_hold(owner: WalletOwner, units: int, *, session: Session | None = None) -> int:
    """Reserve `units` on the owner's wallet; `InsufficientCredits`/`MonthlyLimitReached` else."""
    if units <= 0:
        raise InvalidArgument("A hold must reserve a positive amount.")
    with unit_of_work(session) as db:
        wallet = lock_wallet(db, owner)
        release_expired_holds(db, wallet.id)
        hold_id = int(
            db.execute(
                holds.insert()
                .values(wallet_id=wallet.id, amount=units, status="active", created_at=utcnow())
                .returning(holds.c.id)
            ).scalar_one()
        )
        move = Move(0, units, Takes.FREE, pin=units, hold_id=hold_id)
        if apply_move(db, wallet.id, move, utcnow()) is None:
            raise debit_refusal(require_wallet(db, owner), units, spend=units)
    return hold_id


def settle_hold(
    hold_id: int,
    charge_units: int,
    *,
    category: str,
    description: str,
    metadata: Mapping[str, Any],
) -> SettledHold:
    """Charge the actual cost (capped at the hold) and release the reservation, atomically."""
    with unit_of_work() as db:
        hold, wallet = _lock_active_hold(db, hold_id)
        charge = min(max(charge_units, 0), hold.amount)
        draft = None
        if charge > 0:
            details = dict(metadata)
            if charge_units > hold.amount:  # said out loud, never silently
                details["uncappedCredits"] = str(units_to_credits(charge_units))
            draft = EntryDraft(
                type=TransactionType.USAGE,
                amount=-charge,
                category=parse_category(category),
                description=description,
                metadata=details,
            )
        applied = unpin_hold(db, wallet.id, hold_id, hold.amount, draft)
        if applied is None:
            raise debit_refusal(wallet, charge, spend=charge)
        close_hold(db, hold_id, "settled", applied.entry_id)
        balance_after = applied.balance_after if draft else require_wallet(db, hold.owner).balance
    return SettledHold(charge, applied.entry_id, balance_after)


def release_hold(hold_id: int) -> None:
    """Give the whole reservation back (the request failed); a closed hold is left alone."""
    with unit_of_work() as db:
        try:
            hold, wallet = _lock_active_hold(db, hold_id)
        except InvalidArgument:
            return
        if unpin_hold(db, wallet.id, hold_id, hold.amount, None) is None:
            raise RuntimeError(f"Hold {hold_id} could not be released: held units disagree.")
        close_hold(db, hold_id, "released", None)


@dataclass(frozen=True)
class _Hold:
    amount: int
    owner: WalletOwner


def _lock_active_hold(db: Session, hold_id: int) -> tuple[_Hold, WalletState]:
    """Lock the hold's wallet, then the hold (every writer locks the wallet first), and check
    that it is still active."""
    row = db.execute(
        select(wallets.c.owner_kind, wallets.c.owner_id)
        .join(holds, wallets.c.id == holds.c.wallet_id)
        .where(holds.c.id == hold_id)
    ).one_or_none()
    if row is not None:
        owner = WalletOwner(OwnerKind(row.owner_kind), row.owner_id)
        wallet = lock_wallet(db, owner)
        amount = db.execute(
            select(holds.c.amount)
            .where(holds.c.id == hold_id, holds.c.status == "active")
            .with_for_update()
        ).scalar_one_or_none()
        if amount is not None:
            return _Hold(int(amount), owner), wallet
    raise InvalidArgument("This hold is no longer active (settled, released or expired).")
