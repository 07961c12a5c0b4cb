"""Finishing an auto-recharge that needs the cardholder (`requires_action`) in Checkout.

An off-session charge cannot authenticate, so it is not retried: the user gets a link to a
Checkout Session (payment mode) for the same amount, where the bank's challenge can run. Its
`checkout.session.completed` credits the SAME attempt, once (the attempt row is locked and
moves to `succeeded` once; the ledger key is the session's PaymentIntent).
"""

import logging

import stripe
from sqlmodel import Session

from credits_app.billing.stripe_gateway import stripe_client
from credits_app.credits.amounts import format_credits
from credits_app.credits.categories import OwnerKind
from credits_app.db import unit_of_work
from credits_app.models import AutoRechargeAttempt, Organization, SavedPaymentMethod, Wallet
from credits_app.settings import get_settings

logger = logging.getLogger(__name__)
ACTION_KIND = "auto_recharge_action"


def wallet_page(db: Session, wallet_id: int) -> str:
    """The wallet's credits page (absolute URL): where a user manages auto-recharge."""
    base = get_settings().app_base_url.rstrip("/")
    wallet = db.get(Wallet, wallet_id)
    if wallet is None or wallet.owner_kind == OwnerKind.USER.value:
        return f"{base}/credits"
    org = db.get(Organization, wallet.owner_id)
    return f"{base}/organizations/{org.slug}/credits" if org else f"{base}/credits"


def open_action_checkout(attempt_id: int) -> str:
    """The Checkout URL for the attempt (the wallet's page when Stripe cannot open one)."""
    with unit_of_work() as db:
        attempt = db.get(AutoRechargeAttempt, attempt_id)
        assert attempt is not None
        card = db.get(SavedPaymentMethod, attempt.wallet_id)
        page = wallet_page(db, attempt.wallet_id)
        wallet = db.get(Wallet, attempt.wallet_id)
        payer = (card.saved_by_user_id if card else None) or (
            wallet.owner_id if wallet and wallet.owner_kind == OwnerKind.USER.value else None
        )
        params = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": attempt.currency,
                        "unit_amount": attempt.amount_cents,
                        "product_data": {
                            "name": f"Auto-recharge: {format_credits(attempt.credits)} credits"
                        },
                    },
                }
            ],
            "customer": card.stripe_customer_id if card else None,
            "client_reference_id": f"auto-recharge-{attempt.id}",
            "metadata": {
                "kind": ACTION_KIND,
                "auto_recharge_attempt_id": str(attempt.id),
                "user_id": str(payer or ""),
            },
            "payment_intent_data": {"metadata": {"auto_recharge_attempt_id": str(attempt.id)}},
            "success_url": f"{page}?autoRecharge=done",
            "cancel_url": f"{page}?autoRecharge=cancel",
        }
    if params["customer"] is None:
        del params["customer"]
    try:
        session = stripe_client().v1.checkout.sessions.create(
            params=params,  # type: ignore[arg-type]
            options={"idempotency_key": f"auto-recharge-{attempt_id}-action-checkout"},
        )
    except stripe.StripeError as error:
        logger.warning("No Checkout for auto-recharge %s: %s", attempt_id, error)
        return page
    return session.url or page


def complete_action_checkout(session_id: str) -> str:
    """A paid action Checkout: credit its attempt (checked against what Stripe reports)."""
    from credits_app.billing.auto_recharge_runner import settle_intent

    session = stripe_client().v1.checkout.sessions.retrieve(session_id).to_dict()
    metadata = session.get("metadata") or {}
    claimed = str(metadata.get("auto_recharge_attempt_id") or "")
    if session.get("payment_status") != "paid" or not claimed.isdigit():
        return "not_paid"
    intent = session.get("payment_intent")
    intent_id = intent.get("id") if isinstance(intent, dict) else intent
    return settle_intent(
        {
            "id": intent_id or session_id,
            "status": "succeeded",
            "amount_received": session.get("amount_total"),
            "currency": session.get("currency"),
        },
        attempt_id=int(claimed),
    )
