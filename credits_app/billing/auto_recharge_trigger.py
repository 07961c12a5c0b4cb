"""The auto-recharge trigger, judged inside a debit's transaction (DESIGN §4b, §8).

`after_debit` runs from the balance-move alert hook under the wallet row lock. It never calls
Stripe: when the debit leaves the available balance below the wallet's threshold it enqueues
one `auto_recharge.charge` job in the debit's own transaction (the outbox), keyed by the rule's
`trigger_seq`, so any number of debits below the threshold (16 concurrent ones included)
enqueue one job until an attempt consumes the trigger. Wallets without an active rule cost
nothing: `wallets.auto_recharge_below` (read with the row the hook reads anyway) is NULL.
"""

from typing import cast

from sqlalchemy import Table, select
from sqlmodel import Session

from credits_app.clock import as_utc, utcnow
from credits_app.jobs.outbox import enqueue
from credits_app.models import AutoRechargeSetting

AUTO_RECHARGE_JOB = "auto_recharge.charge"
rules = cast(Table, AutoRechargeSetting.__table__)  # type: ignore[attr-defined]


def after_debit(db: Session, wallet_id: int, available_after: int, below: int | None) -> None:
    """Enqueue the wallet's recharge when this debit left it below an active threshold."""
    if below is None or available_after >= below:
        return
    row = db.execute(
        select(rules.c.trigger_seq, rules.c.paused_until).where(rules.c.wallet_id == wallet_id)
    ).one_or_none()
    if row is None:
        return
    if row.paused_until is not None and as_utc(row.paused_until) > utcnow():
        return  # after a failure, a full rate window or a spent monthly cap
    enqueue_charge(db, wallet_id, int(row.trigger_seq))


def enqueue_charge(db: Session, wallet_id: int, seq: int) -> None:
    """The one job of trigger `seq` (a second enqueue of the same trigger does nothing)."""
    enqueue(
        db,
        AUTO_RECHARGE_JOB,
        {"walletId": wallet_id, "seq": seq},
        dedupe_key=f"auto-recharge:{wallet_id}:{seq}",
        max_attempts=6,
    )
