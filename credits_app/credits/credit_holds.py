"""Holds: reserve credits for a request whose final cost is known only afterwards (AI calls).

`place_hold` moves the worst-case cost into `wallets.held` with one guarded UPDATE (it passes
only if `balance - held` covers it and the monthly limit leaves room), so concurrent requests
each reserve their own share and together can never overdraw the wallet. `settle_hold` books
the actual cost as one ledger entry and releases the reservation in the same statement;
`release_hold` gives it all back (provider failure). A hold that is never closed (a crashed
worker) expires after `HOLD_TTL` and is released by the next hold or refused debit there.
Held credits are not ledger entries: the balance still equals the sum of the ledger.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, Date, bindparam, select, text
from sqlmodel import Session

from credits_app.clock import utcnow
from credits_app.credits.amounts import units_to_credits
from credits_app.credits.categories import OwnerKind, TransactionType, parse_category
from credits_app.credits.errors import (
    InvalidArgument,
)
from credits_app.credits.hold_expiry import (
    RELEASE_HELD,
    close_hold,
    holds,
    release_expired_holds,
)
from credits_app.credits.owners import WalletOwner
from credits_app.credits.wallet_service import (
    EntryDraft,
    debit_refusal,
    month_of,
    post_entry,
    require_wallet,
    wallets,
)
from credits_app.db import unit_of_work

_PLACE_HOLD = text(
    """
    UPDATE wallets SET held = held + :units
    WHERE owner_kind = :owner_kind AND owner_id = :owner_id
      AND balance - held >= :units
      AND (monthly_limit IS NULL OR :units + held + CASE
            WHEN spend_month = :spend_month THEN spent_this_month ELSE 0 END <= monthly_limit)
    RETURNING id
    """
).bindparams(bindparam("units", type_=BigInteger()), bindparam("spend_month", type_=Date()))


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
        wallet = require_wallet(db, owner)
        release_expired_holds(db, wallet.id)
        params = {
            "units": units,
            "owner_kind": owner.kind.value,
            "owner_id": owner.id,
            "spend_month": month_of(utcnow()),
        }
        if db.execute(_PLACE_HOLD, params).one_or_none() is None:
            raise debit_refusal(require_wallet(db, owner), units, spend=units)
        hold_id = db.execute(
            holds.insert()
            .values(wallet_id=wallet.id, amount=units, status="active", created_at=utcnow())
            .returning(holds.c.id)
        ).scalar_one()
    return int(hold_id)


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
        hold, owner = _active_hold(db, hold_id)
        charge = min(max(charge_units, 0), hold.amount)
        entry_id, balance_after = None, require_wallet(db, owner).balance
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
            posted = post_entry(db, owner, draft, release=hold.amount)
            entry_id, balance_after = posted.id, posted.balance_after
        else:
            db.execute(RELEASE_HELD, {"units": hold.amount, "wallet_id": hold.wallet_id})
        close_hold(db, hold_id, "settled", entry_id)
    return SettledHold(charge, entry_id, balance_after)


def release_hold(hold_id: int) -> None:
    """Give the whole reservation back (the request failed); a closed hold is left alone."""
    with unit_of_work() as db:
        row = db.execute(
            select(holds).where(holds.c.id == hold_id, holds.c.status == "active").with_for_update()
        ).one_or_none()
        if row is None:
            return
        db.execute(RELEASE_HELD, {"units": row.amount, "wallet_id": row.wallet_id})
        close_hold(db, hold_id, "released", None)


def _active_hold(db: Session, hold_id: int) -> tuple[Any, WalletOwner]:
    row = db.execute(
        select(holds, wallets.c.owner_kind, wallets.c.owner_id)
        .join(wallets, wallets.c.id == holds.c.wallet_id)
        .where(holds.c.id == hold_id, holds.c.status == "active")
        .with_for_update(of=holds)
    ).one_or_none()
    if row is None:
        raise InvalidArgument("This hold is no longer active (settled, released or expired).")
    return row, WalletOwner(OwnerKind(row.owner_kind), row.owner_id)
