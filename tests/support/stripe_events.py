"""Stripe webhook deliveries as Stripe makes them, signed independently of the app's own code.

Bodies are Stripe `event` objects; the `Stripe-Signature` header comes from stripe-python's
`WebhookSignature.generate_signature_header`, so a test never signs with the code it checks.
"""

import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

import httpx
import stripe
from sqlalchemy import select as sql_select
from sqlmodel import col, select

from credits_app.billing import stripe_simulator
from credits_app.credits.categories import TransactionType
from credits_app.credits.wallet_service import WalletOwner, entries, require_wallet
from credits_app.db import unit_of_work
from credits_app.models import Purchase, StripeEvent
from tests.support.api_client import ApiClient, ApiUser
from tests.support.fake_stripe_server import FAKE_WEBHOOK_SECRET

WEBHOOK_PATH = "/api/stripe/webhook"
UNITS_PER_CREDIT = 10_000


@dataclass(frozen=True)
class Delivery:
    """One webhook delivery: the raw body and the signature header that goes with it."""

    event_id: str
    payload: bytes
    signature: str | None

    def post(self, http: httpx.Client) -> httpx.Response:
        headers = {"Content-Type": "application/json"}
        if self.signature is not None:
            headers["Stripe-Signature"] = self.signature
        return http.post(WEBHOOK_PATH, content=self.payload, headers=headers)


def stripe_event(event_type: str, data_object: dict[str, Any], event_id: str | None = None) -> str:
    """A Stripe `event` JSON body around `data_object`."""
    return json.dumps(
        {
            "id": event_id or "evt_test_" + secrets.token_hex(12),
            "object": "event",
            "api_version": stripe_simulator.API_VERSION,
            "created": int(time.time()),
            "livemode": False,
            "pending_webhooks": 1,
            "type": event_type,
            "data": {"object": data_object},
        }
    )


def signed(
    event_type: str,
    data_object: dict[str, Any],
    *,
    event_id: str | None = None,
    secret: str = FAKE_WEBHOOK_SECRET,
    timestamp: int | None = None,
) -> Delivery:
    """A delivery signed like Stripe signs it (with `secret`, at `timestamp` or now)."""
    payload = stripe_event(event_type, data_object, event_id)
    header = stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp)
    return Delivery(json.loads(payload)["id"], payload.encode(), header)


def open_checkout(
    api: ApiClient, user: ApiUser, package_id: str = "starter", org_id: int | None = None
) -> str:
    """Start a purchase over the API; returns the Checkout Session id."""
    path = "/api/credits/purchase" if org_id is None else f"/api/orgs/{org_id}/credits/purchase"
    response = api.http.post(path, json={"packageId": package_id}, headers=user.headers)
    assert response.status_code == 200, response.text
    session_id: str = response.json()["sessionId"]
    return session_id


def complete(session_id: str, *, paid: bool = True) -> dict[str, Any]:
    """The buyer finished Stripe's checkout (the fake's state); returns the session object."""
    return stripe_simulator.complete_session(session_id, paid=paid)


def purchase_for(session_id: str) -> Purchase:
    with unit_of_work() as db:
        purchase = db.exec(
            select(Purchase).where(col(Purchase.stripe_session_id) == session_id)
        ).one()
        return purchase


def purchases_of(user: ApiUser) -> list[Purchase]:
    """Every purchase the user opened, oldest first."""
    with unit_of_work() as db:
        query = select(Purchase).where(col(Purchase.buyer_user_id) == user.id)
        return list(db.exec(query.order_by(col(Purchase.id))).all())


def event_recorded(event_id: str) -> bool:
    with unit_of_work() as db:
        return db.get(StripeEvent, event_id) is not None


def charge(purchase: Purchase, amount_refunded: int) -> dict[str, Any]:
    """The `charge` object of a purchase's payment, as `charge.refunded` carries it."""
    return {
        "id": "ch_test_" + secrets.token_hex(8),
        "object": "charge",
        "amount": purchase.price_minor,
        "amount_refunded": amount_refunded,
        "currency": purchase.currency,
        "payment_intent": purchase.stripe_payment_intent_id,
        "refunded": amount_refunded >= purchase.price_minor,
    }


def dispute(
    purchase: Purchase, dispute_id: str, amount: int, status: str = "needs_response"
) -> dict[str, Any]:
    """A `dispute` object for a purchase's payment."""
    return {
        "id": dispute_id,
        "object": "dispute",
        "amount": amount,
        "currency": purchase.currency,
        "charge": "ch_test_disputed",
        "payment_intent": purchase.stripe_payment_intent_id,
        "status": status,
    }


def entry_types(owner: WalletOwner) -> list[str]:
    """The ledger entry types of a wallet, oldest first."""
    with unit_of_work() as db:
        wallet = require_wallet(db, owner)
        rows = db.execute(
            sql_select(entries.c.type)
            .where(entries.c.wallet_id == wallet.id)
            .order_by(entries.c.id)
        ).all()
    return [str(row[0]) for row in rows]


def purchase_entries(owner: WalletOwner) -> int:
    return entry_types(owner).count(TransactionType.PURCHASE.value)
