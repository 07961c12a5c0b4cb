"""Closing holds: the one place pinned units go back to their lots (settle, release, expiry).

Shared by `credit_holds` (settle/release/expire on the next hold) and `wallet_service` (a
refused deduction first frees holds whose request died), so a crashed worker's hold never
blocks ordinary spending for longer than `HOLD_TTL`. Units returned to a lot whose expiry
passed meanwhile expire at once (DESIGN §3b), in the same transaction.
"""

from datetime import timedelta
from typing import cast

from sqlalchemy import Table, select
from sqlmodel import Session

from credits_app.clock import utcnow
from credits_app.credits.balance_moves import (
    Applied,
    Move,
    Takes,
    apply_move,
    expire_due_lots_locked,
    lock_wallet_by_id,
)
from credits_app.credits.drafts import EntryDraft
from credits_app.models import CreditHold

holds = cast(Table, CreditHold.__table__)  # type: ignore[attr-defined]
HOLD_TTL = timedelta(minutes=15)


def unpin_hold(
    db: Session, wallet_id: int, hold_id: int, held: int, charge: EntryDraft | None
) -> Applied | None:
    """Give a hold's pinned units back to their lots, spending `charge` from them first.

    The caller holds the wallet lock. None when a guard refused the charge (nothing moved).
    """
    spent = -charge.amount if charge else 0
    move = Move(-spent, spent, Takes.PINNED, release=held, hold_id=hold_id, entry=charge)
    applied = apply_move(db, wallet_id, move, utcnow())
    if applied is not None:
        expire_due_lots_locked(db, wallet_id, utcnow())
    return applied


def release_expired_holds(db: Session, wallet_id: int) -> int:
    """Release the wallet's holds older than `HOLD_TTL`; how many units came back.

    Locks the wallet first (a no-op when the caller already holds it), then the holds: every
    writer takes the wallet before a hold, so a settlement and this never deadlock.
    """
    lock_wallet_by_id(db, wallet_id)
    expired = db.execute(
        select(holds.c.id, holds.c.amount)
        .where(
            holds.c.wallet_id == wallet_id,
            holds.c.status == "active",
            holds.c.created_at < utcnow() - HOLD_TTL,
        )
        .with_for_update()
    ).all()
    for hold_id, amount in expired:
        if unpin_hold(db, wallet_id, hold_id, int(amount), None) is None:
            raise RuntimeError(f"Hold {hold_id} could not be released: held units disagree.")
        close_hold(db, hold_id, "released", None)
    return sum(int(amount) for _, amount in expired)


def close_hold(db: Session, hold_id: int, status: str, entry_id: int | None) -> None:
    """Mark a hold settled or released (its credits were already moved by the caller)."""
    db.execute(
        holds.update()
        .where(holds.c.id == hold_id)
        .values(status=status, entry_id=entry_id, closed_at=utcnow())
    )
