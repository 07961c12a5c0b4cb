"""The simulator's Customers, PaymentMethods, SetupIntents and off-session PaymentIntents.

Stripe's wire format, as `stripe_simulator.handle_api_request` answers it (form-encoded values
arrive as strings). Stripe's test cards decide what a charge does:

| card | brand | off-session PaymentIntent |
|---|---|---|
| 4242424242424242 | visa | succeeds |
| 5555555555554444 | mastercard | succeeds |
| 4000000000000002 | visa | 402 `card_declined` (`generic_decline`) |
| 4000000000009995 | visa | 402 `card_declined` (`insufficient_funds`) |
| 4000002500003155, 4000002760003184 | visa | 402 `authentication_required` (`requires_action`) |

A card's fingerprint is derived from its number, so saving the same card again gives the same
fingerprint, as at Stripe. A create call with an `Idempotency-Key` is answered once and that
answer (success or card error) is replayed for the same key and parameters; other parameters
under the same key are a 400 `idempotency_error`. Every state change returns the events Stripe
would send (`payment_intent.succeeded`, `payment_intent.payment_failed`) for the transport to
deliver.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from credits_app.db import unit_of_work
from credits_app.models import SimulatedStripeObject


@dataclass(frozen=True)
class TestCard:
    """One of Stripe's test card numbers and what a charge on it does."""

    brand: str
    outcome: str  # "succeeded" | "card_declined" | "authentication_required"
    decline_code: str | None = None


TEST_CARDS: dict[str, TestCard] = {
    "4242424242424242": TestCard("visa", "succeeded"),
    "5555555555554444": TestCard("mastercard", "succeeded"),
    "4000000000000002": TestCard("visa", "card_declined", "generic_decline"),
    "4000000000009995": TestCard("visa", "card_declined", "insufficient_funds"),
    "4000002500003155": TestCard("visa", "authentication_required"),
    "4000002760003184": TestCard("visa", "authentication_required"),
}
DEFAULT_TEST_CARD = "4242424242424242"

Answer = tuple[int, dict[str, Any], list[tuple[str, dict[str, Any]]]]  # status, body, events

PREFIXES = {
    "customer": "/v1/customers",
    "payment_method": "/v1/payment_methods",
    "setup_intent": "/v1/setup_intents",
    "payment_intent": "/v1/payment_intents",
}


def handle_object_request(
    method: str, path: str, params: dict[str, Any], idempotency_key: str | None
) -> Answer | None:
    """Answer a request for one of these object kinds; None when the path is not theirs."""
    for kind, prefix in PREFIXES.items():
        if path == prefix and method == "POST" and kind in CREATORS:
            return _create(kind, params, idempotency_key)
        if path.startswith(prefix + "/") and method == "GET":
            object_id = path.removeprefix(prefix + "/")
            found = find_object(object_id)
            if found is None or found["object"] != kind:
                return 404, _missing(kind, object_id), []
            return 200, found, []
    return None


def find_object(object_id: str) -> dict[str, Any] | None:
    """A stored object as Stripe's retrieve call returns it."""
    with unit_of_work() as db:
        row = db.get(SimulatedStripeObject, object_id)
        return dict(row.data) if row else None


def save_test_card(customer_id: str | None, card_number: str) -> tuple[str, str]:
    """The buyer typed a test card into the setup page: a PaymentMethod attached to the
    customer and the succeeded SetupIntent that saved it. Returns (setup intent, method) ids.
    `ValueError` for a number that is not one of the test cards."""
    number = "".join(ch for ch in card_number if ch.isdigit())
    card = TEST_CARDS.get(number)
    if card is None:
        raise ValueError("Use one of Stripe's test card numbers.")
    now = datetime.now(UTC)
    method_id = "pm_sim_" + secrets.token_hex(12)
    method = {
        "id": method_id,
        "object": "payment_method",
        "type": "card",
        "customer": customer_id,
        "created": int(now.timestamp()),
        "livemode": False,
        "metadata": {},
        "card": {
            "brand": card.brand,
            "last4": number[-4:],
            "exp_month": 12,
            "exp_year": now.year + 3,
            "fingerprint": hashlib.sha256(f"sim-card:{number}".encode()).hexdigest()[:16],
            "funding": "credit",
            "country": "US",
        },
    }
    setup_id = "seti_sim_" + secrets.token_hex(12)
    setup = {
        "id": setup_id,
        "object": "setup_intent",
        "status": "succeeded",
        "usage": "off_session",
        "customer": customer_id,
        "payment_method": method_id,
        "created": int(now.timestamp()),
        "livemode": False,
    }
    with unit_of_work() as db:
        db.add(
            SimulatedStripeObject(
                id=method_id, kind="payment_method", params={"number": number}, data=method
            )
        )
        db.add(SimulatedStripeObject(id=setup_id, kind="setup_intent", data=setup))
    return setup_id, method_id


def _create(kind: str, params: dict[str, Any], key: str | None) -> Answer:
    if key:
        earlier = _by_key(key)
        if earlier is not None:
            return _replay(earlier, params)
    status, body, events = CREATORS[kind](params)
    obj = body if status == 200 else body["error"].get("payment_intent")
    if obj is None:  # nothing was created (e.g. an unknown payment method): not stored
        return status, body, events
    row = SimulatedStripeObject(
        id=obj["id"],
        kind=kind,
        idempotency_key=key,
        params={"request": params, "response": body},
        data=obj,
        response_status=status,
    )
    try:
        with unit_of_work() as db:
            db.add(row)
    except IntegrityError:  # a concurrent retry with the same key won: replay its answer
        earlier = _by_key(key or "")
        assert earlier is not None
        return _replay(earlier, params)
    return status, body, events


def _create_customer(params: dict[str, Any]) -> Answer:
    customer = {
        "id": "cus_sim_" + secrets.token_hex(12),
        "object": "customer",
        "email": params.get("email"),
        "name": params.get("name"),
        "metadata": params.get("metadata") or {},
        "created": int(datetime.now(UTC).timestamp()),
        "livemode": False,
    }
    return 200, customer, []


def _create_payment_intent(params: dict[str, Any]) -> Answer:
    """Create and (with `confirm=true`) confirm a charge of a saved card."""
    method_id = str(params.get("payment_method") or "")
    with unit_of_work() as db:
        method_row = db.get(SimulatedStripeObject, method_id)
        number = str(method_row.params.get("number")) if method_row else ""
    amount = str(params.get("amount") or "")
    if method_row is None:
        return 400, _missing("payment_method", method_id), []
    if not amount.isdigit() or int(amount) < 1:
        return 400, _invalid("amount", "Invalid positive integer"), []
    card = TEST_CARDS.get(number, TEST_CARDS[DEFAULT_TEST_CARD])
    intent: dict[str, Any] = {
        "id": "pi_sim_" + secrets.token_hex(12),
        "object": "payment_intent",
        "amount": int(amount),
        "amount_received": 0,
        "currency": str(params.get("currency") or "usd").lower(),
        "customer": params.get("customer"),
        "payment_method": method_id,
        "metadata": params.get("metadata") or {},
        "off_session": params.get("off_session") == "true",
        "created": int(datetime.now(UTC).timestamp()),
        "livemode": False,
        "status": "requires_confirmation",
        "last_payment_error": None,
        "next_action": None,
        "latest_charge": None,
    }
    if params.get("confirm") != "true":
        return 200, intent, []
    if card.outcome == "succeeded":
        intent |= {
            "status": "succeeded",
            "amount_received": intent["amount"],
            "latest_charge": "ch_sim_" + secrets.token_hex(12),
        }
        return 200, intent, [("payment_intent.succeeded", intent)]
    error: dict[str, Any] = {
        "type": "card_error",
        "code": card.outcome,
        "decline_code": card.decline_code or card.outcome,
        "message": (
            "Your card was declined."
            if card.outcome == "card_declined"
            else "This payment requires authentication by the cardholder."
        ),
        "payment_method": {"id": method_id, "object": "payment_method"},
    }
    status = "requires_payment_method" if card.outcome == "card_declined" else "requires_action"
    intent |= {"status": status, "last_payment_error": error}
    if status == "requires_action":
        intent["next_action"] = {"type": "use_stripe_sdk"}
    return (
        402,
        {"error": error | {"payment_intent": intent}},
        [("payment_intent.payment_failed", intent)],
    )


CREATORS = {"customer": _create_customer, "payment_intent": _create_payment_intent}


def _by_key(key: str) -> SimulatedStripeObject | None:
    with unit_of_work() as db:
        query = select(SimulatedStripeObject).where(
            col(SimulatedStripeObject.idempotency_key) == key
        )
        return db.exec(query).first()


def _replay(row: SimulatedStripeObject, params: dict[str, Any]) -> Answer:
    if row.params.get("request") != params:
        message = "Keys for idempotent requests can only be used with the same parameters."
        return 400, {"error": {"type": "idempotency_error", "message": message}}, []
    return row.response_status, dict(row.params["response"]), []


def _missing(kind: str, object_id: str) -> dict[str, Any]:
    message = f"No such {kind}: '{object_id}'"
    return {
        "error": {"type": "invalid_request_error", "message": message, "code": "resource_missing"}
    }


def _invalid(param: str, message: str) -> dict[str, Any]:
    return {"error": {"type": "invalid_request_error", "message": message, "param": param}}
