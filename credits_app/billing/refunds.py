"""Take back credits when the money goes back: refunds (cumulative) and disputes (hold, release).

Refunds: Stripe's `charge.refunded` carries the charge's cumulative `amount_refunded`, so each
event says where the total stands and partial refunds add up; an older event arriving late is
ignored. The credits owed back are the refunded share of the purchase, rounded up to a unit.
Never below zero: when the buyer already spent the credits, we take what is there and record
the rest as `clawback_shortfall` on the purchase (and in the entry's metadata). Which lots
give the credits back (the purchase's own first) is the domain core's rule (`credits.clawback`).
Disputes: an opened dispute holds back the disputed share (at most what refunds have not
accounted for); a won dispute gives it back, a lost one keeps it in `disputed_held`. Refunds
and disputes cover different money, so neither takes what the other already took, in whatever
order Stripe's events arrive.
"""

import logging
from enum import StrEnum

from sqlmodel import Session, col
from sqlmodel import select as sqlmodel_select

from credits_app.clock import utcnow
from credits_app.credits.categories import OwnerKind, TransactionType
from credits_app.credits.clawback import give_back, take_back
from credits_app.credits.owners import WalletOwner
from credits_app.db import unit_of_work
from credits_app.models import Purchase

logger = logging.getLogger(__name__)


class ReversalOutcome(StrEnum):
    """What a refund or dispute event did."""

    APPLIED = "applied"
    ALREADY_APPLIED = "already_applied"
    UNKNOWN_PAYMENT = "unknown_payment"
    NOTHING_TO_DO = "nothing_to_do"


def apply_charge_refund(payment_intent_id: str, amount_refunded: int) -> ReversalOutcome:
    """Bring the clawed-back credits up to the refunded share `amount_refunded` represents."""
    with unit_of_work() as db:
        purchase = _fulfilled_purchase(db, payment_intent_id)
        if purchase is None:
            return ReversalOutcome.UNKNOWN_PAYMENT
        if amount_refunded <= purchase.refunded_minor:
            return ReversalOutcome.ALREADY_APPLIED
        refunded = min(amount_refunded, purchase.price_minor)
        owed_in_total = -(-purchase.credits * refunded // purchase.price_minor)  # round up
        # Credits a dispute holds (or kept, when lost) paid for money the refund does not cover.
        owed_in_total = min(owed_in_total, purchase.credits - purchase.disputed_held)
        owed_now = max(owed_in_total - purchase.clawed_back - purchase.clawback_shortfall, 0)
        taken = _take_back(
            db, purchase, owed_now, f"stripe-refund:{payment_intent_id}:{amount_refunded}"
        )
        purchase.clawed_back += taken
        purchase.clawback_shortfall += owed_now - taken
        purchase.refunded_minor = amount_refunded
        _touch(db, purchase)
    return ReversalOutcome.APPLIED


def hold_for_dispute(
    payment_intent_id: str, dispute_id: str, disputed_minor: int
) -> ReversalOutcome:
    """A dispute was opened: hold back the disputed share of the purchase's credits."""
    with unit_of_work() as db:
        purchase = _fulfilled_purchase(db, payment_intent_id)
        if purchase is None:
            return ReversalOutcome.UNKNOWN_PAYMENT
        if purchase.dispute_status is not None:
            return ReversalOutcome.ALREADY_APPLIED
        share = min(disputed_minor, purchase.price_minor)
        owed = -(-purchase.credits * share // purchase.price_minor)
        owed = min(owed, _not_yet_refunded(purchase))
        purchase.disputed_held = _take_back(db, purchase, owed, f"stripe-dispute:{dispute_id}")
        purchase.dispute_status = "open"
        _touch(db, purchase)
    return ReversalOutcome.APPLIED


def close_dispute(payment_intent_id: str, dispute_id: str, won: bool) -> ReversalOutcome:
    """A dispute closed: give the held credits back when won, keep them when lost.

    Lost credits stay in `disputed_held` (with status "lost") instead of joining the refunds'
    `clawed_back`: refunds and disputes cover different money, and a refund event delivered
    after a lost dispute used to see the dispute's credits as its own, record a negative
    shortfall and later take more than the purchase gave.
    """
    with unit_of_work() as db:
        purchase = _fulfilled_purchase(db, payment_intent_id)
        if purchase is None:
            return ReversalOutcome.UNKNOWN_PAYMENT
        if purchase.dispute_status != "open":
            return ReversalOutcome.ALREADY_APPLIED
        if won:
            if purchase.disputed_held > 0:
                _give_back(db, purchase, purchase.disputed_held, f"stripe-dispute-won:{dispute_id}")
            purchase.disputed_held = 0
        purchase.dispute_status = "won" if won else "lost"
        _touch(db, purchase)
    return ReversalOutcome.APPLIED


def _not_yet_refunded(purchase: Purchase) -> int:
    """Units of the purchase no refund has accounted for: a dispute can hold at most these.

    A refund shortfall is part of the refunded share (the refund path never collects it later),
    so it is excluded too; capping by `clawed_back` alone let a dispute after a short refund
    take the shortfall out of credits the buyer got elsewhere, more than the purchase gave.
    """
    return max(purchase.credits - purchase.clawed_back - purchase.clawback_shortfall, 0)


def _take_back(db: Session, purchase: Purchase, owed: int, key: str) -> int:
    """Debit up to `owed` units, never more than is available; returns what was taken."""
    taken = take_back(
        db,
        _owner(purchase),
        owed,
        purchase_entry_id=purchase.ledger_entry_id,
        entry_type=TransactionType.REFUND
        if key.startswith("stripe-refund")
        else TransactionType.ADJUSTMENT,
        description=_description(key, -1),
        metadata=_metadata(purchase, key),
        idempotency_key=key,
    )
    if taken < owed:
        logger.warning(
            "Purchase %s: %s units owed back but only %s available", purchase.id, owed, taken
        )
    return taken


def _give_back(db: Session, purchase: Purchase, units: int, key: str) -> None:
    give_back(
        db,
        _owner(purchase),
        units,
        description=_description(key, units),
        metadata=_metadata(purchase, key),
        idempotency_key=key,
    )


def _metadata(purchase: Purchase, key: str) -> dict[str, object]:
    return {"purchaseId": purchase.id, "reason": key.split(":")[0]}


def _description(key: str, amount: int) -> str:
    if key.startswith("stripe-refund"):
        return "Payment refunded: purchased credits taken back"
    if amount < 0:
        return "Payment disputed: purchased credits on hold"
    return "Dispute won: held credits returned"


def _fulfilled_purchase(db: Session, payment_intent_id: str) -> Purchase | None:
    query = (
        sqlmodel_select(Purchase)
        .where(col(Purchase.stripe_payment_intent_id) == payment_intent_id)
        .where(col(Purchase.status) == "fulfilled")
        .with_for_update()
    )
    return db.exec(query).first()


def _owner(purchase: Purchase) -> WalletOwner:
    return WalletOwner(OwnerKind(purchase.owner_kind), purchase.owner_id)


def _touch(db: Session, purchase: Purchase) -> None:
    purchase.updated_at = utcnow()
    db.add(purchase)
