"""Releasing holds: the one place that gives reserved credits back to a wallet.

Shared by `credit_holds` (settle/release/expire on the next hold) and `wallet_service` (a
refused deduction first frees holds whose request died), so a crashed worker's hold never
blocks ordinary spending for longer than `HOLD_TTL`.
"""

from datetime import timedelta
from typing import cast

from sqlalchemy import Table, select, text
from sqlmodel import Session

from credits_app.clock import utcnow
from credits_app.models import CreditHold

holds = cast(Table, CreditHold.__table__)  # type: ignore[attr-defined]
HOLD_TTL = timedelta(minutes=15)

RELEASE_HELD = text(
    "UPDATE wallets SET held = held - :units WHERE id = :wallet_id AND held >= :units"
)


def release_expired_holds(db: Session, wallet_id: int) -> int:
    """Release the wallet's holds older than `HOLD_TTL`; returns how many units came back."""
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
        db.execute(RELEASE_HELD, {"units": amount, "wallet_id": wallet_id})
        close_hold(db, hold_id, "released", None)
    return sum(int(amount) for _, amount in expired)


def close_hold(db: Session, hold_id: int, status: str, entry_id: int | None) -> None:
    """Mark a hold settled or released (its credits were already moved by the caller)."""
    db.execute(
        holds.update()
        .where(holds.c.id == hold_id)
        .values(status=status, entry_id=entry_id, closed_at=utcnow())
    )
