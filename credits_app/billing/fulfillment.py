"""Credit a paid Checkout Session exactly once, whoever asks (webhook, redelivery, success page).

`fulfill_checkout_session` trusts only what it retrieves from Stripe, checks it against the
purchase row, then credits the wallet and marks the purchase in ONE transaction. The purchase
row is locked while that happens, and the ledger entry carries the session id as its unique
idempotency key, so concurrent or repeated calls credit once and the rest see "already".
"""

import logging
from datetime import timedelta
from enum import StrEnum
from typing import Any

from sqlmodel import Session, col, select

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


class FulfillmentOutcome(StrEnum):
    """What a fulfillment call did."""

    FULFILLED = "fulfilled"
    ALREADY_FULFILLED = "already_fulfilled"
    NOT_PAID = "not_paid"
    UNKNOWN_PURCHASE = "unknown_purchase"


class PurchaseMismatch(CreditsError):
    """Stripe reports a different amount, currency or purchase than we recorded: not credited."""

    code = "purchase_mismatch"


def fulfill_checkout_session(session_id: str) -> FulfillmentOutcome:
    """Retrieve the session from Stripe and credit its purchase if paid (at most once)."""
    session = stripe_client().v1.checkout.sessions.retrieve(session_id).to_dict()
    if session.get("payment_status") != "paid":
        return FulfillmentOutcome.NOT_PAID
    purchase_id = _purchase_id(session)
    if purchase_id is None:
        logger.warning("Checkout Session %s names no purchase of ours", session_id)
        return FulfillmentOutcome.UNKNOWN_PURCHASE
    with unit_of_work() as db:
        purchase = _locked_purchase(db, purchase_id)
        if purchase is None:
            return FulfillmentOutcome.UNKNOWN_PURCHASE
        _check_matches(purchase, session)
        if purchase.status == "fulfilled":
            return FulfillmentOutcome.ALREADY_FULFILLED
        return _credit(db, purchase, session)


def _credit(db: Session, purchase: Purchase, session: dict[str, Any]) -> FulfillmentOutcome:
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
    purchase.status = "fulfilled"
    purchase.ledger_entry_id = result.transaction_id
    purchase.stripe_payment_intent_id = _payment_intent_id(session)
    purchase.fulfilled_at = purchase.updated_at = utcnow()
    db.add(purchase)
    if result.replayed:
        return FulfillmentOutcome.ALREADY_FULFILLED
    logger.info("Purchase %s fulfilled: %s credits", purchase.id, result.amount)
    return FulfillmentOutcome.FULFILLED


def purchase_description(purchase: Purchase) -> str:
    """The ledger entry's text: `Purchase: pro package` or `Purchase: 2,500 credits`."""
    if purchase.package_id is None:
        return f"Purchase: {format_credits(purchase.credits - purchase.bonus_credits)} credits"
    return f"Purchase: {purchase.package_id} package"


def purchase_lots(purchase: Purchase) -> tuple[NewLot, ...]:
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


def _check_matches(purchase: Purchase, session: dict[str, Any]) -> None:
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


def _locked_purchase(db: Session, purchase_id: int) -> Purchase | None:
    """The purchase row, locked until commit so concurrent fulfillments queue behind us."""
    query = select(Purchase).where(col(Purchase.id) == purchase_id).with_for_update()
    return db.exec(query).first()


def _purchase_id(session: dict[str, Any]) -> int | None:
    """Our purchase id, when the session's metadata and client reference agree on one."""
    metadata = session.get("metadata") or {}
    reference = session.get("client_reference_id")
    claimed = metadata.get("purchase_id")
    if claimed is None or claimed != reference or not str(claimed).isdigit():
        return None
    purchase_id = int(claimed)
    return purchase_id if purchase_id < 2**31 else None


def _payment_intent_id(session: dict[str, Any]) -> str | None:
    intent = session.get("payment_intent")
    if isinstance(intent, dict):  # expanded
        intent = intent.get("id")
    return intent if isinstance(intent, str) else None
