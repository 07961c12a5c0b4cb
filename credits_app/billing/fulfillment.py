"""Credit a paid Checkout Session exactly once, whoever asks (webhook, redelivery, success page).

`credit_paid_session` checks a session object against the purchase row, then credits the
wallet and marks the purchase in ONE transaction. The purchase row is locked while that
happens, and the ledger entry carries the session id as its unique idempotency key, so
concurrent or repeated calls credit once and the rest see "already".

Where the session object comes from is the caller's choice: the success page has only a
session id and retrieves it from Stripe (`fulfill_checkout_session`); a webhook passes the
session its signed event carries, which Stripe signed as it was at the event, and retrieves
only when that snapshot cannot decide (`needs_retrieval`). A webhook also names its event
(`EventClaim`): the event id is claimed as the transaction's first statement, so a copy of
the same event delivered concurrently waits for this transaction and is then a duplicate,
and a fulfillment that fails takes its claim with it (stripe_events.py).

Core statements only (no ORM objects on this path): the purchase is read and updated as rows.
"""

import logging
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import timedelta
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, true, update
from sqlmodel import Session

from credits_app.billing import stripe_events
from credits_app.billing.stripe_gateway import stripe_client
from credits_app.clock import utcnow
from credits_app.credits.amounts import Units, format_credits
from credits_app.credits.categories import LotSource, OwnerKind, TransactionType
from credits_app.credits.credit_service import grant
from credits_app.credits.drafts import NewLot
from credits_app.credits.errors import CreditsError
from credits_app.credits.owners import WalletOwner
from credits_app.db import unit_of_work
from credits_app.models import Purchase

logger = logging.getLogger(__name__)

purchases = cast(Table, Purchase.__table__)  # type: ignore[attr-defined]


class FulfillmentOutcome(StrEnum):
    """What a fulfillment call did."""

    FULFILLED = "fulfilled"
    ALREADY_FULFILLED = "already_fulfilled"
    NOT_PAID = "not_paid"
    UNKNOWN_PURCHASE = "unknown_purchase"
    DUPLICATE = "duplicate"  # the webhook event was handled by another delivery of it


class PurchaseMismatch(CreditsError):
    """Stripe reports a different amount, currency or purchase than we recorded: not credited."""

    code = "purchase_mismatch"


@dataclass(frozen=True)
class EventClaim:
    """The webhook event a fulfillment handles: claimed in its transaction, recorded with it."""

    event_id: str
    event_type: str


@dataclass(frozen=True)
class LockedPurchase:
    """The purchase columns fulfillment reads, from its row locked until commit."""

    id: int
    owner_kind: str
    owner_id: int
    package_id: str | None
    credits: int
    bonus_credits: int
    bonus_expires_in_days: int | None
    unit_price_micros: int | None
    price_minor: int
    currency: str
    status: str
    stripe_session_id: str | None


def fulfill_checkout_session(session_id: str) -> FulfillmentOutcome:
    """Retrieve the session from Stripe and credit its purchase if paid (at most once)."""
    return credit_paid_session(retrieve_session(session_id))


def retrieve_session(session_id: str) -> dict[str, Any]:
    """The Checkout Session as Stripe reports it now (an HTTPS call; stripe errors raise)."""
    return stripe_client().v1.checkout.sessions.retrieve(session_id).to_dict()


def needs_retrieval(session: Mapping[str, Any]) -> bool:
    """True when a webhook's session snapshot cannot decide a fulfillment by itself.

    A snapshot is Stripe's own, signed, and a session Stripe reported `paid` stays paid (a
    refund is a later event of its own), so a paid snapshot with the amount, currency, our
    purchase reference and its PaymentIntent (which refunds and disputes are matched by)
    decides. Anything else (not paid yet in the snapshot of `async_payment_succeeded`, a
    field missing) is asked of Stripe, as the success page always does.
    """
    metadata = session.get("metadata")
    return not (
        session.get("payment_status") == "paid"
        and _is_amount(session.get("amount_total"))
        and isinstance(session.get("currency"), str)
        and isinstance(metadata, dict)
        and metadata.get("purchase_id") is not None
        and _payment_intent_id(session) is not None
    )


def credit_paid_session(
    session: Mapping[str, Any], claim: EventClaim | None = None
) -> FulfillmentOutcome:
    """Credit the purchase `session` pays for, if it is paid and matches it (at most once).

    With a `claim`, the event id is claimed first in the same transaction and recorded with
    the outcome; `DUPLICATE` when another delivery of the event has it. `PurchaseMismatch`
    rolls everything back, the claim included (the caller records the problem).
    """
    settled: FulfillmentOutcome | None = None
    purchase_id = _purchase_id(session)
    if session.get("payment_status") != "paid":
        settled = FulfillmentOutcome.NOT_PAID
    elif purchase_id is None:
        logger.warning("Checkout Session %s names no purchase of ours", session.get("id"))
        settled = FulfillmentOutcome.UNKNOWN_PURCHASE
    if settled is not None and claim is None:
        return settled
    expected = settled or FulfillmentOutcome.FULFILLED
    with unit_of_work() as db:
        if claim is None:
            assert purchase_id is not None
            return _credit_locked(db, _locked_purchase(db, purchase_id), session)
        to_lock = None if settled else purchase_id
        claimed, purchase = _claim_and_lock(db, claim, expected, to_lock)
        if not claimed:
            return FulfillmentOutcome.DUPLICATE
        outcome = settled or _credit_locked(db, purchase, session)
        if outcome is not expected:
            stripe_events.set_outcome(db, claim.event_id, outcome.value)
        return outcome


def _claim_and_lock(
    db: Session, claim: EventClaim, outcome: FulfillmentOutcome, purchase_id: int | None
) -> tuple[bool, LockedPurchase | None]:
    """Claim the event id, then lock the purchase (when there is one to lock), in this order.

    On Postgres it is one statement (`_CLAIM_AND_LOCK`: the lock is taken only after, and
    only if, the claim succeeded); SQLite, with its single writer, runs the two in turn.
    The order matters: every path takes an event claim before a purchase lock, never the
    other way round, so two deliveries can never wait on each other in a cycle.
    """
    params = stripe_events.claim_params(claim.event_id, claim.event_type, outcome.value)
    if purchase_id is not None and db.get_bind().dialect.name == "postgresql":
        row = db.execute(_CLAIM_AND_LOCK, params | {"purchase_id": purchase_id}).first()
        if row is None:
            return False, None
        return True, LockedPurchase(*row[1:]) if row[1] is not None else None
    if not stripe_events.claim(db, claim.event_id, claim.event_type, outcome.value):
        return False, None
    return True, _locked_purchase(db, purchase_id) if purchase_id is not None else None


def _credit_locked(
    db: Session, purchase: LockedPurchase | None, session: Mapping[str, Any]
) -> FulfillmentOutcome:
    if purchase is None:
        return FulfillmentOutcome.UNKNOWN_PURCHASE
    _check_matches(purchase, session)
    if purchase.status == "fulfilled":
        return FulfillmentOutcome.ALREADY_FULFILLED
    return _credit(db, purchase, session)


def _credit(
    db: Session, purchase: LockedPurchase, session: Mapping[str, Any]
) -> FulfillmentOutcome:
    result = grant(
        WalletOwner(OwnerKind(purchase.owner_kind), purchase.owner_id),
        Units(purchase.credits),
        lots=purchase_lots(purchase),
        description=purchase_description(purchase),
        type=TransactionType.PURCHASE,
        metadata={
            "purchaseId": purchase.id,
            "packageId": purchase.package_id,  # None: a custom amount
            "unitPriceMicros": purchase.unit_price_micros,
            "stripeSessionId": session["id"],
            "priceMinor": purchase.price_minor,
            "currency": purchase.currency,
        },
        idempotency_key=f"stripe-checkout:{session['id']}",
        session=db,
    )
    db.execute(
        _MARK_FULFILLED,
        {
            "purchase_id": purchase.id,
            "ledger_entry_id": result.transaction_id,
            "payment_intent_id": _payment_intent_id(session),
            "now": utcnow(),
        },
    )
    if result.replayed:
        return FulfillmentOutcome.ALREADY_FULFILLED
    logger.info("Purchase %s fulfilled: %s credits", purchase.id, result.amount)
    return FulfillmentOutcome.FULFILLED


def purchase_description(purchase: LockedPurchase) -> str:
    """The ledger entry's text: `Purchase: pro package` or `Purchase: 2,500 credits`."""
    if purchase.package_id is None:
        return f"Purchase: {format_credits(purchase.credits - purchase.bonus_credits)} credits"
    return f"Purchase: {purchase.package_id} package"


def purchase_lots(purchase: LockedPurchase) -> tuple[NewLot, ...]:
    """The paid credits as a `purchase` lot carrying the price (never expiring), and the bonus
    as its own `bonus` lot, expiring when the package said so (DESIGN §3b)."""
    paid = purchase.credits - purchase.bonus_credits
    lots = (
        [
            NewLot(
                paid,
                LotSource.PURCHASE,
                None,
                cost_minor=purchase.price_minor,
                currency=purchase.currency,
            )
        ]
        if paid > 0
        else []
    )
    if purchase.bonus_credits > 0:
        days = purchase.bonus_expires_in_days
        expires_at = utcnow() + timedelta(days=days) if days else None
        lots.append(
            NewLot(
                purchase.bonus_credits,
                LotSource.BONUS,
                expires_at,
                cost_minor=0,
                currency=purchase.currency,
            )
        )
    return tuple(lots)


def _check_matches(purchase: LockedPurchase, session: Mapping[str, Any]) -> None:
    expected = (purchase.stripe_session_id, purchase.price_minor, purchase.currency)
    currency = str(session.get("currency") or "").lower()
    reported = (session.get("id"), session.get("amount_total"), currency)
    if expected != reported:
        logger.error(
            "Purchase %s does not match Checkout Session: expected %s, Stripe reports %s",
            purchase.id,
            expected,
            reported,
        )
        raise PurchaseMismatch(
            "The payment does not match the purchase; it was not credited.",
            purchaseId=purchase.id,
        )


# Built once (a statement object caches its compiled form): every fulfillment runs them.
_LOCKED_COLUMNS = [purchases.c[field.name] for field in fields(LockedPurchase)]
_LOCK_PURCHASE = (
    select(*_LOCKED_COLUMNS).where(purchases.c.id == bindparam("purchase_id")).with_for_update()
)
# The claim as a CTE, and the purchase lock in a LATERAL subquery that depends on the claim's
# row: the lock is taken after the insert, only when it claimed (no row: a duplicate).
_CLAIMED = stripe_events.claim_statement("postgresql").cte("claimed")
_LOCKED = (
    select(*_LOCKED_COLUMNS)
    .where(purchases.c.id == bindparam("purchase_id"), _CLAIMED.c.id.is_not(None))
    .with_for_update()
    .lateral("locked")
)
_CLAIM_AND_LOCK = select(_CLAIMED.c.id, *_LOCKED.c).select_from(_CLAIMED.outerjoin(_LOCKED, true()))
_MARK_FULFILLED = (
    update(purchases)
    .where(purchases.c.id == bindparam("purchase_id"))
    .values(
        status="fulfilled",
        ledger_entry_id=bindparam("ledger_entry_id"),
        stripe_payment_intent_id=bindparam("payment_intent_id"),
        fulfilled_at=bindparam("now"),
        updated_at=bindparam("now"),
    )
)


def _locked_purchase(db: Session, purchase_id: int) -> LockedPurchase | None:
    """The purchase row, locked until commit so concurrent fulfillments queue behind us."""
    row = db.execute(_LOCK_PURCHASE, {"purchase_id": purchase_id}).first()
    return LockedPurchase(*row) if row is not None else None


def _purchase_id(session: Mapping[str, Any]) -> int | None:
    """Our purchase id, when the session's metadata and client reference agree on one."""
    metadata = session.get("metadata") or {}
    reference = session.get("client_reference_id")
    claimed = metadata.get("purchase_id")
    if claimed is None or claimed != reference or not str(claimed).isdigit():
        return None
    purchase_id = int(claimed)
    return purchase_id if purchase_id < 2**31 else None


def _payment_intent_id(session: Mapping[str, Any]) -> str | None:
    intent = session.get("payment_intent")
    if isinstance(intent, dict):  # expanded
        intent = intent.get("id")
    return intent if isinstance(intent, str) else None


def _is_amount(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
