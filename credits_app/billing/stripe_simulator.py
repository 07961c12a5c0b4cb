"""The local Stripe simulator: a small fake of Stripe's Checkout Session API, in Stripe's format.

Used only when opted into (`STRIPE_SIMULATOR=true`, which `make run` sets) while no
`STRIPE_SECRET_KEY` is set, and by the tests' fake Stripe server. It answers what our code asks
of Stripe (create and retrieve Checkout Sessions, with idempotency keys) in Stripe's wire
format: form-encoded requests, JSON objects back. The "Pay" button, for the purchase's own
buyer only, signs a real `checkout.session.completed` event with this database's random
webhook secret and hands it to the same webhook handler Stripe's deliveries reach.
Test mode only: no money moves.
"""

import json
import secrets
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import stripe
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from credits_app.billing.purchase_lookup import find_purchase_by_session
from credits_app.billing.stripe_gateway import webhook_secret
from credits_app.billing.stripe_simulator_objects import Answer, handle_object_request
from credits_app.db import unit_of_work
from credits_app.models import SimulatedCheckoutSession
from credits_app.settings import get_settings

SESSIONS_PATH = "/v1/checkout/sessions"
API_VERSION = "2025-10-29.clover"
EXPIRE_SUFFIX = "/expire"


def handle_api_request(
    method: str, path: str, body: str, idempotency_key: str | None
) -> tuple[int, dict[str, Any]]:
    """One Stripe API call: (HTTP status, JSON object) exactly as Stripe would shape it."""
    status, obj, _events = handle_api_request_with_events(method, path, body, idempotency_key)
    return status, obj


def handle_api_request_with_events(
    method: str, path: str, body: str, idempotency_key: str | None
) -> Answer:
    """As `handle_api_request`, plus the webhook events the call caused, for the transport to
    deliver (in-process: a job per event; the tests' fake server: recorded for the test)."""
    params = decode_form(body) if method.upper() == "POST" else {}
    routed = handle_object_request(method.upper(), path, params, idempotency_key)
    if routed is not None:
        return routed
    status, obj = _handle_session_request(method, path, body, idempotency_key)
    return status, obj, []


def _handle_session_request(
    method: str, path: str, body: str, idempotency_key: str | None
) -> tuple[int, dict[str, Any]]:
    if method.upper() == "POST" and path == SESSIONS_PATH:
        return create_session(decode_form(body), idempotency_key)
    if (
        method.upper() == "POST"
        and path.startswith(SESSIONS_PATH + "/")
        and path.endswith(EXPIRE_SUFFIX)
    ):  # price helper: abandoning a pending checkout (Billing page)
        return expire_session(path.removeprefix(SESSIONS_PATH + "/").removesuffix(EXPIRE_SUFFIX))
    if method.upper() == "GET" and path.startswith(SESSIONS_PATH + "/"):
        session_id = path.removeprefix(SESSIONS_PATH + "/")
        found = find_session(session_id)
        return (200, found) if found else _missing(session_id)
    return 404, _error("invalid_request_error", f"Unrecognized request URL ({method} {path}).")


def create_session(
    params: dict[str, Any], idempotency_key: str | None
) -> tuple[int, dict[str, Any]]:
    """Open a session, or replay the one created under the same idempotency key."""
    if idempotency_key:
        earlier = _session_row_by_key(idempotency_key)
        if earlier is not None:
            return _replay(earlier, params)
    row = SimulatedCheckoutSession(
        id="cs_test_sim_" + secrets.token_hex(12),
        idempotency_key=idempotency_key,
        params=params,
        payment_intent_id="pi_sim_" + secrets.token_hex(12),
    )
    try:
        with unit_of_work() as db:
            db.add(row)
    except IntegrityError:  # a concurrent retry with the same key won
        earlier = _session_row_by_key(idempotency_key or "")
        assert earlier is not None
        return _replay(earlier, params)
    return 200, session_object(row)


def find_session(session_id: str) -> dict[str, Any] | None:
    """The session as Stripe's retrieve call returns it, or None."""
    with unit_of_work() as db:
        row = db.get(SimulatedCheckoutSession, session_id)
    return session_object(row) if row else None


def complete_session(session_id: str, *, paid: bool = True) -> dict[str, Any]:
    """The buyer finished checkout: paid now (card) or later (async methods)."""
    with unit_of_work() as db:
        row = db.get(SimulatedCheckoutSession, session_id)
        if row is None:
            raise LookupError(session_id)
        row.status = "complete"
        row.payment_status = "paid" if paid else "unpaid"
        db.add(row)
        db.flush()
        return session_object(row)


def expire_session(session_id: str) -> tuple[int, dict[str, Any]]:
    """Stripe's `POST /v1/checkout/sessions/{id}/expire`: only an open session can expire."""
    with unit_of_work() as db:
        row = db.get(SimulatedCheckoutSession, session_id, with_for_update=True)
        if row is None:
            return _missing(session_id)
        if row.status != "open":
            message = "Only Checkout Sessions with a status of `open` can be expired."
            return 400, _error("invalid_request_error", message)
        row.status = "expired"
        db.add(row)
        db.flush()
        return 200, session_object(row)


def require_buyer(session_id: str, user_id: int) -> None:
    """`LookupError` unless the session is open and opened by `user_id`'s own purchase.

    Someone else's session looks exactly like one that does not exist (never reveal it).
    """
    session = find_session(session_id)
    if session is not None and "user_id" in session["metadata"]:  # a card setup or a recharge
        buyer: int | None = int(session["metadata"]["user_id"])
    else:
        purchase = find_purchase_by_session(session_id)
        buyer = purchase.buyer_user_id if purchase else None
    if buyer is None or buyer != user_id:
        raise LookupError(session_id)
    if session is None or session["status"] != "open":
        raise LookupError(session_id)


def pay_and_notify(session_id: str, payer_user_id: int) -> str:
    """The simulator's Pay button: complete the session, deliver the signed event, return the
    success URL. The event goes through the real webhook verification and fulfillment.
    Only the purchase's own buyer may pay (`LookupError` for anyone else)."""
    from credits_app.billing.webhooks import handle_stripe_webhook

    require_buyer(session_id, payer_user_id)
    session = complete_session(session_id)
    payload, header = signed_event("checkout.session.completed", session, webhook_secret())
    handle_stripe_webhook(payload, header)
    return str(session["success_url"]).replace("{CHECKOUT_SESSION_ID}", session_id)


def save_card_and_notify(session_id: str, user_id: int, card_number: str) -> str:
    """The setup page's "Save card": complete the setup session with a test card, deliver the
    signed `checkout.session.completed` to the real webhook code, return the success URL.
    `LookupError` for anyone but the user who opened it; `ValueError` for no test card."""
    from credits_app.billing.webhooks import handle_stripe_webhook

    require_buyer(session_id, user_id)
    session = complete_setup_session(session_id, card_number)
    payload, header = signed_event("checkout.session.completed", session, webhook_secret())
    handle_stripe_webhook(payload, header)
    return str(session["success_url"]).replace("{CHECKOUT_SESSION_ID}", session_id)


def signed_event(
    event_type: str, data_object: Mapping[str, Any], secret: str, *, timestamp: int | None = None
) -> tuple[bytes, str]:
    """A Stripe event body and its `Stripe-Signature` header, signed like Stripe signs them."""
    event = {
        "id": "evt_sim_" + secrets.token_hex(12),
        "object": "event",
        "api_version": API_VERSION,
        "created": int(time.time()),
        "livemode": False,
        "type": event_type,
        "data": {"object": dict(data_object)},
    }
    payload = json.dumps(event)
    stamp = int(time.time()) if timestamp is None else timestamp
    signature = stripe.WebhookSignature._compute_signature(f"{stamp}.{payload}", secret)
    return payload.encode(), f"t={stamp},v1={signature}"


def session_object(row: SimulatedCheckoutSession) -> dict[str, Any]:
    """A `checkout.session` object with the fields our code and a browser need."""
    params = row.params
    line_items = params.get("line_items") or []
    amount_total = sum(
        int(item.get("price_data", {}).get("unit_amount", 0)) * int(item.get("quantity", 1))
        for item in line_items
    )
    currency = line_items[0].get("price_data", {}).get("currency") if line_items else None
    base_url = get_settings().app_base_url.rstrip("/")
    return {
        "id": row.id,
        "object": "checkout.session",
        "livemode": False,
        "mode": params.get("mode", "payment"),
        "status": row.status,
        "payment_status": "no_payment_required" if _is_setup(params) else row.payment_status,
        "amount_total": amount_total,
        "amount_subtotal": amount_total,
        "currency": currency,
        "client_reference_id": params.get("client_reference_id"),
        "metadata": params.get("metadata") or {},
        "payment_intent": (
            row.payment_intent_id if row.status == "complete" and not _is_setup(params) else None
        ),
        "setup_intent": (
            row.payment_intent_id if row.status == "complete" and _is_setup(params) else None
        ),
        "customer": params.get("customer"),
        "success_url": params.get("success_url"),
        "cancel_url": params.get("cancel_url"),
        "url": f"{base_url}/api/stripe-simulator/checkout/{row.id}",
        "created": int(row.created_at.timestamp()),
        "line_items_summary": [
            item.get("price_data", {}).get("product_data", {}).get("name") for item in line_items
        ],
    }


def _is_setup(params: dict[str, Any]) -> bool:
    return params.get("mode") == "setup"


def complete_setup_session(session_id: str, card_number: str) -> dict[str, Any]:
    """The buyer saved a test card on a setup-mode session: its SetupIntent (and the card's
    PaymentMethod) now exist and the session is complete, as Stripe reports it afterwards.
    `LookupError` for no open setup session, `ValueError` for a number that is no test card."""
    from credits_app.billing.stripe_simulator_objects import save_test_card

    with unit_of_work() as db:
        row = db.get(SimulatedCheckoutSession, session_id)
        if row is None or row.status != "open" or not _is_setup(row.params):
            raise LookupError(session_id)
        customer = row.params.get("customer")
    setup_intent_id, _method = save_test_card(customer, card_number)
    with unit_of_work() as db:
        row = db.get(SimulatedCheckoutSession, session_id)
        assert row is not None
        row.status = "complete"
        row.payment_status = "unpaid"  # reported as `no_payment_required` (session_object)
        row.payment_intent_id = setup_intent_id  # a setup session's intent is a SetupIntent
        db.add(row)
        db.flush()
        return session_object(row)


def decode_form(body: str) -> dict[str, Any]:
    """Stripe's form encoding (`line_items[0][price_data][currency]=usd`) back to nested JSON."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        head, _, rest = key.partition("[")
        parts = [head] + [p.rstrip("]") for p in rest.split("[")] if rest else [head]
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    converted: dict[str, Any] = _lists(root)
    return converted


def _lists(node: Any) -> Any:
    """Dicts keyed 0..n become lists; values stay the strings the client sent, as at Stripe."""
    if not isinstance(node, dict):
        return node
    converted = {key: _lists(value) for key, value in node.items()}
    if converted and all(key.isdigit() for key in converted):
        return [converted[key] for key in sorted(converted, key=int)]
    return converted


class SimulatorHTTPClient(stripe.HTTPClient):
    """stripe-python's transport, answered in-process by the simulator instead of the network."""

    name = "credits-simulator"

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
        **_: Any,
    ) -> tuple[str, int, dict[str, str]]:
        body = post_data.decode() if isinstance(post_data, bytes) else (post_data or "")
        key = dict(headers or {}).get("Idempotency-Key")
        parts = urlsplit(url)
        if method.upper() != "POST" and parts.query:
            body = parts.query
        status, obj, events = handle_api_request_with_events(method, parts.path, body, key)
        if events:
            _queue_deliveries(events)
        return json.dumps(obj), status, {"request-id": "req_sim_" + secrets.token_hex(6)}

    def close(self) -> None:
        """Nothing to close: no sockets."""


SIMULATED_EVENT_JOB = "stripe_simulator.deliver_event"


def _queue_deliveries(events: list[tuple[str, dict[str, Any]]]) -> None:
    """Stripe sends its webhooks after answering, on its own time: one job per event, which
    signs it and hands it to the webhook handler (`deliver_simulated_event`)."""
    from credits_app.jobs.outbox import enqueue

    with unit_of_work() as db:
        for event_type, obj in events:
            enqueue(db, SIMULATED_EVENT_JOB, {"type": event_type, "object": obj})


def _session_row_by_key(key: str) -> SimulatedCheckoutSession | None:
    with unit_of_work() as db:
        query = select(SimulatedCheckoutSession).where(
            col(SimulatedCheckoutSession.idempotency_key) == key
        )
        return db.exec(query).first()


def _replay(row: SimulatedCheckoutSession, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    if row.params != params:
        message = "Keys for idempotent requests can only be used with the same parameters."
        return 400, _error("idempotency_error", message)
    return 200, session_object(row)


def _missing(session_id: str) -> tuple[int, dict[str, Any]]:
    message = f"No such checkout.session: '{session_id}'"
    return 404, _error("invalid_request_error", message, code="resource_missing")


def _error(kind: str, message: str, code: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"type": kind, "message": message}
    if code:
        error["code"] = code
    return {"error": error}
