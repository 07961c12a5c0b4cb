"""Stripe webhooks: verify the signature on the raw body, then route each event type once.

Stripe delivers at least once and in any order. Every handler is idempotent on its own
(fulfillment is exactly-once, refunds are cumulative, status changes only move forward), and
handled event ids are recorded (`stripe_events.py`) so a redelivery is acknowledged with one
read. A fulfillment claims its event id inside the transaction that credits, so copies that
arrive together wait for the first and are then duplicates; it credits from the session its
signed event carries and calls Stripe only when that snapshot cannot decide
(`fulfillment.needs_retrieval`, argued in bench/README.md, "Webhook benchmark").

The body is checked before anything is done with it: a signed delivery that is not a
well-formed event of ours is a permanent problem (`webhook_problems.py`), recorded and answered
2xx; only a transient failure (Stripe unreachable) is answered 5xx so Stripe retries it.
"""

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import stripe
from sqlmodel import col, select

from credits_app.billing.auto_recharge_action import ACTION_KIND, complete_action_checkout
from credits_app.billing.auto_recharge_runner import attempt_for_intent, settle_intent
from credits_app.billing.checkout import PaymentProviderError
from credits_app.billing.fulfillment import (
    EventClaim,
    FulfillmentOutcome,
    PurchaseMismatch,
    credit_paid_session,
    needs_retrieval,
    retrieve_session,
)
from credits_app.billing.payment_methods import complete_card_setup
from credits_app.billing.refunds import apply_charge_refund, close_dispute, hold_for_dispute
from credits_app.billing.stripe_events import already_handled, record
from credits_app.billing.stripe_gateway import stripe_client, webhook_secret
from credits_app.billing.webhook_problems import (
    MAX_EVENT_ID_LENGTH,
    MAX_EVENT_TYPE_LENGTH,
    WebhookProblem,
    record_problem,
)
from credits_app.clock import utcnow
from credits_app.credits.errors import CreditsError
from credits_app.db import unit_of_work
from credits_app.models import Purchase

TOLERANCE_SECONDS = 300
MAX_STRIPE_AMOUNT = 10**12  # far above any real charge, far below BIGINT


class InvalidWebhook(CreditsError):
    """A body whose signature is missing, wrong, stale or from the future: nothing is done."""

    code = "invalid_signature"


@dataclass(frozen=True)
class StripeEventBody:
    """The parts of a Stripe `event` we use, checked: a usable id and type, an object."""

    id: str
    type: str
    object: dict[str, Any]


@dataclass(frozen=True)
class Recorded:
    """An outcome whose event id the handler recorded itself, in the transaction that did
    the work (a fulfillment's claim)."""

    outcome: str


Handler = Callable[[StripeEventBody], str | Recorded]


def handle_stripe_webhook(payload: bytes, signature_header: str | None) -> str:
    """Verify and handle one delivery; returns what happened (for logs and the response)."""
    verify_signature(payload, signature_header)
    try:
        event = parse_event(payload)
        if already_handled(event.id):
            return "duplicate"
        result = _dispatch(event)
    except WebhookProblem as problem:
        if problem.event_id is not None and already_handled(problem.event_id):
            return "duplicate"
        return record_problem(payload, problem)
    if isinstance(result, Recorded):
        return result.outcome
    record(event.id, event.type, result)
    return result


def verify_signature(payload: bytes, signature_header: str | None) -> None:
    """stripe-python's own signature and staleness check, plus a refusal of future timestamps."""
    if not signature_header:
        raise InvalidWebhook("Missing Stripe-Signature header.")
    _refuse_future_timestamp(signature_header)
    try:
        stripe.WebhookSignature.verify_header(
            payload, signature_header, webhook_secret(), tolerance=TOLERANCE_SECONDS
        )
    except stripe.SignatureVerificationError as error:
        raise InvalidWebhook(f"Signature verification failed: {error.user_message}") from None
    except UnicodeDecodeError:
        raise InvalidWebhook("The body is not UTF-8 text.") from None


def parse_event(payload: bytes) -> StripeEventBody:
    """The signed body as an event, or `WebhookProblem` saying what is wrong with it."""
    try:
        body = json.loads(payload)
    except (ValueError, RecursionError):
        raise WebhookProblem("not_json", "The signed body is not JSON.") from None
    if not isinstance(body, dict):
        raise WebhookProblem("not_an_event", f"The signed body is a JSON {type(body).__name__}.")
    event_id, event_type, data = body.get("id"), body.get("type"), body.get("data")
    if not isinstance(event_id, str) or not 0 < len(event_id) <= MAX_EVENT_ID_LENGTH:
        raise WebhookProblem(
            "invalid_event_id",
            f"The event id must be 1 to {MAX_EVENT_ID_LENGTH} characters: {_excerpt(event_id)}",
        )
    if not isinstance(event_type, str) or not 0 < len(event_type) <= MAX_EVENT_TYPE_LENGTH:
        raise WebhookProblem(
            "invalid_event_type", f"Bad event type: {_excerpt(event_type)}", event_id=event_id
        )
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        raise WebhookProblem(
            "invalid_data",
            "The event has no `data.object` object.",
            event_id=event_id,
            event_type=event_type,
        )
    return StripeEventBody(event_id, event_type, data["object"])


def _excerpt(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:60]}… ({len(text)} characters)"


def _refuse_future_timestamp(header: str) -> None:
    stamps = [part[2:] for part in header.split(",") if part.strip().startswith("t=")]
    if len(stamps) != 1 or not stamps[0].strip().isdigit():
        raise InvalidWebhook("The Stripe-Signature header has no valid timestamp.")
    if int(stamps[0]) > time.time() + TOLERANCE_SECONDS:
        raise InvalidWebhook("The signature timestamp is in the future.")


def _dispatch(event: StripeEventBody) -> str | Recorded:
    handler = HANDLERS.get(event.type)
    if handler is None:
        return "ignored"
    try:
        return handler(event)
    except WebhookProblem as problem:
        problem.event_id, problem.event_type = event.id, event.type
        raise
    except PurchaseMismatch as error:  # logged at error level by fulfillment, recorded here
        raise WebhookProblem(
            error.code,
            error.message,
            event_id=event.id,
            event_type=event.type,
            outcome=f"rejected: {error.code}",
        ) from None
    except stripe.InvalidRequestError as error:
        if error.http_status == 404:  # Stripe does not know it: no retry will change that
            message = f"Stripe: {error.user_message}"
            raise WebhookProblem(
                "unknown_session", message, event_id=event.id, event_type=event.type
            ) from None
        raise PaymentProviderError(f"Stripe refused the request: {error.user_message}") from None
    except stripe.StripeError as error:  # Stripe unreachable: answer 5xx so Stripe retries
        raise PaymentProviderError(f"Could not reach Stripe: {error.user_message}") from None


def _text(obj: dict[str, Any], key: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not 0 < len(value) <= MAX_EVENT_ID_LENGTH:
        raise WebhookProblem("invalid_object", f"`data.object.{key}` must be an id string.")
    return value


def _amount(obj: dict[str, Any], key: str) -> int:
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise WebhookProblem("invalid_object", f"`data.object.{key}` must be an integer.")
    if not 0 <= value <= MAX_STRIPE_AMOUNT:
        raise WebhookProblem("invalid_object", f"`data.object.{key}` is out of range.")
    return value


def _checkout_completed(event: StripeEventBody) -> str | Recorded:
    session = event.object
    session_id = _text(session, "id")
    if session.get("mode") == "setup":  # a card saved for auto-recharge
        return complete_card_setup(session_id)
    if (session.get("metadata") or {}).get("kind") == ACTION_KIND:
        return complete_action_checkout(session_id)  # an auto-recharge finished in Checkout
    if session.get("payment_status") != "paid":
        return "awaiting_payment"  # async methods: wait for async_payment_succeeded
    return _fulfill(event)


def _fulfill(event: StripeEventBody) -> Recorded:
    """Credit from the signed snapshot; Stripe is asked first only when it cannot decide
    (never inside the transaction: no lock is held across an HTTPS call)."""
    session = event.object
    if needs_retrieval(session):
        session = retrieve_session(_text(session, "id"))
    return Recorded(credit_paid_session(session, EventClaim(event.id, event.type)).value)


def _on_object(handle: Callable[[dict[str, Any]], str]) -> Handler:
    """A handler that needs only the event's object."""
    return lambda event: handle(event.object)


def _mark(status: str) -> Handler:
    """Failed/expired sessions: the pending purchase records it; a fulfilled one never moves."""

    def handle(event: StripeEventBody) -> str:
        return mark_pending_purchase(_text(event.object, "id"), status)

    return handle


def mark_pending_purchase(session_id: str, status: str) -> str:
    """Move the session's purchase from pending to `status` (failed, expired); `ignored` when
    there is none or it is no longer pending (a fulfilled purchase never moves)."""
    with unit_of_work() as db:
        purchase = db.exec(  # locked: a racing fulfillment must not be overwritten
            select(Purchase).where(col(Purchase.stripe_session_id) == session_id).with_for_update()
        ).first()
        if purchase is None or purchase.status != "pending":
            return "ignored"
        purchase.status = status
        purchase.updated_at = utcnow()
        db.add(purchase)
    return status


def _charge_refunded(charge: dict[str, Any]) -> str:
    amount_refunded = _amount(charge, "amount_refunded")
    intent = charge.get("payment_intent")
    if not isinstance(intent, str):
        return FulfillmentOutcome.UNKNOWN_PURCHASE.value
    return apply_charge_refund(intent, amount_refunded).value


def _dispute_created(dispute: dict[str, Any]) -> str:
    dispute_id, amount = _text(dispute, "id"), _amount(dispute, "amount")
    intent = dispute.get("payment_intent")
    if not isinstance(intent, str):
        return "ignored"
    return hold_for_dispute(intent, dispute_id, amount).value


def _dispute_closed(dispute: dict[str, Any]) -> str:
    dispute_id = _text(dispute, "id")
    intent = dispute.get("payment_intent")
    if not isinstance(intent, str):
        return "ignored"
    return close_dispute(intent, dispute_id, won=dispute.get("status") == "won").value


def _payment_intent_event(intent: dict[str, Any]) -> str:
    """Off-session auto-recharge charges: settled from what Stripe reports for the intent."""
    intent_id = _text(intent, "id")
    if attempt_for_intent(intent) is None:
        return "ignored"  # a Checkout purchase's intent: its session events handle it
    current = stripe_client().v1.payment_intents.retrieve(intent_id).to_dict()
    return settle_intent(current)


HANDLERS: dict[str, Handler] = {
    "payment_intent.succeeded": _on_object(_payment_intent_event),
    "payment_intent.payment_failed": _on_object(_payment_intent_event),
    "payment_intent.requires_action": _on_object(_payment_intent_event),
    "checkout.session.completed": _checkout_completed,
    "checkout.session.async_payment_succeeded": _fulfill,
    "checkout.session.async_payment_failed": _mark("failed"),
    "checkout.session.expired": _mark("expired"),
    "charge.refunded": _on_object(_charge_refunded),
    "charge.dispute.created": _on_object(_dispute_created),
    "charge.dispute.closed": _on_object(_dispute_closed),
}
