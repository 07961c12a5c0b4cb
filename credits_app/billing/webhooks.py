"""Stripe webhooks: verify the signature on the raw body, then route each event type once.

Stripe delivers at least once and in any order. Every handler is idempotent on its own
(fulfillment is exactly-once, refunds are cumulative, status changes only move forward), and
handled event ids are recorded so a redelivery is acknowledged without work.
"""

import logging
import time
from collections.abc import Callable
from typing import Any

import stripe
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from credits_app.billing.checkout import PaymentProviderError
from credits_app.billing.fulfillment import (
    FulfillmentOutcome,
    PurchaseMismatch,
    fulfill_checkout_session,
)
from credits_app.billing.refunds import apply_charge_refund, close_dispute, hold_for_dispute
from credits_app.billing.stripe_gateway import webhook_secret
from credits_app.clock import utcnow
from credits_app.credits.errors import CreditsError
from credits_app.db import unit_of_work
from credits_app.models import Purchase, StripeEvent

logger = logging.getLogger(__name__)

TOLERANCE_SECONDS = 300


class InvalidWebhook(CreditsError):
    """A body whose signature is missing, wrong, stale or from the future: nothing is done."""

    code = "invalid_signature"


def handle_stripe_webhook(payload: bytes, signature_header: str | None) -> str:
    """Verify and handle one delivery; returns what happened (for logs and the response)."""
    event = verified_event(payload, signature_header)
    with unit_of_work() as db:
        if db.get(StripeEvent, event.id) is not None:
            return "duplicate"
    outcome = _dispatch(event)
    _remember(event, outcome)
    return outcome


def verified_event(payload: bytes, signature_header: str | None) -> stripe.Event:
    """stripe-python's own signature and staleness check, plus a refusal of future timestamps."""
    if not signature_header:
        raise InvalidWebhook("Missing Stripe-Signature header.")
    _refuse_future_timestamp(signature_header)
    try:
        event: stripe.Event = stripe.Webhook.construct_event(
            payload, signature_header, webhook_secret(), tolerance=TOLERANCE_SECONDS
        )
        return event
    except stripe.SignatureVerificationError as error:
        raise InvalidWebhook(f"Signature verification failed: {error.user_message}") from None
    except ValueError:
        raise InvalidWebhook("The body is not a Stripe event.") from None


def _refuse_future_timestamp(header: str) -> None:
    stamps = [part[2:] for part in header.split(",") if part.strip().startswith("t=")]
    if len(stamps) != 1 or not stamps[0].strip().isdigit():
        raise InvalidWebhook("The Stripe-Signature header has no valid timestamp.")
    if int(stamps[0]) > time.time() + TOLERANCE_SECONDS:
        raise InvalidWebhook("The signature timestamp is in the future.")


def _dispatch(event: stripe.Event) -> str:
    handler = HANDLERS.get(event.type)
    if handler is None:
        return "ignored"
    try:
        return handler(event.data.object.to_dict())
    except PurchaseMismatch as error:
        return f"rejected: {error.code}"
    except stripe.StripeError as error:  # Stripe unreachable: answer 5xx so Stripe retries
        raise PaymentProviderError(f"Could not reach Stripe: {error.user_message}") from None


def _checkout_completed(session: Any) -> str:
    if session.get("payment_status") != "paid":
        return "awaiting_payment"  # async methods: wait for async_payment_succeeded
    return fulfill_checkout_session(session["id"]).value


def _async_payment_succeeded(session: Any) -> str:
    return fulfill_checkout_session(session["id"]).value


def _mark(status: str) -> Callable[[Any], str]:
    """Failed/expired sessions: the pending purchase records it; a fulfilled one never moves."""

    def handle(session: Any) -> str:
        with unit_of_work() as db:
            purchase = db.exec(  # locked: a racing fulfillment must not be overwritten
                select(Purchase)
                .where(col(Purchase.stripe_session_id) == session["id"])
                .with_for_update()
            ).first()
            if purchase is None or purchase.status != "pending":
                return "ignored"
            purchase.status = status
            purchase.updated_at = utcnow()
            db.add(purchase)
        return status

    return handle


def _charge_refunded(charge: Any) -> str:
    intent = charge.get("payment_intent")
    if not isinstance(intent, str):
        return FulfillmentOutcome.UNKNOWN_PURCHASE.value
    return apply_charge_refund(intent, int(charge["amount_refunded"])).value


def _dispute_created(dispute: Any) -> str:
    intent = dispute.get("payment_intent")
    if not isinstance(intent, str):
        return "ignored"
    return hold_for_dispute(intent, dispute["id"], int(dispute["amount"])).value


def _dispute_closed(dispute: Any) -> str:
    intent = dispute.get("payment_intent")
    if not isinstance(intent, str):
        return "ignored"
    return close_dispute(intent, dispute["id"], won=dispute.get("status") == "won").value


HANDLERS: dict[str, Callable[[Any], str]] = {
    "checkout.session.completed": _checkout_completed,
    "checkout.session.async_payment_succeeded": _async_payment_succeeded,
    "checkout.session.async_payment_failed": _mark("failed"),
    "checkout.session.expired": _mark("expired"),
    "charge.refunded": _charge_refunded,
    "charge.dispute.created": _dispute_created,
    "charge.dispute.closed": _dispute_closed,
}


def _remember(event: stripe.Event, outcome: str) -> None:
    try:
        with unit_of_work() as db:
            db.add(StripeEvent(id=event.id, type=event.type, outcome=outcome[:100]))
    except IntegrityError:
        logger.info("Stripe event %s was handled concurrently", event.id)
