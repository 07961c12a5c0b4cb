"""Starting a purchase with the real stripe-python client, over HTTP, against a fake Stripe.

The app runs as in production with a Stripe key; the fake records exactly what reached
"Stripe": the Checkout Session parameters, the idempotency key and the secret key.
"""

from typing import Any

import pytest
from sqlmodel import col, select

from credits_app.credits.wallet_service import WalletOwner
from credits_app.db import unit_of_work
from credits_app.models import Purchase, SimulatedCheckoutSession
from tests.support.api_client import ApiClient, ApiUser, assert_error
from tests.support.app_server import RunningApp
from tests.support.fake_stripe_server import FAKE_STRIPE_KEY, FakeStripeServer
from tests.support.stripe_events import UNITS_PER_CREDIT, entry_types, purchase_for, purchases_of
from tests.support.wallets import ledger_totals

SESSIONS = "/v1/checkout/sessions"


def expected_params(
    app: RunningApp, purchase: Purchase, wallet: str, return_path: str
) -> dict[str, Any]:
    """What Stripe must receive, in Stripe's wire form (every form value is a string); the
    return URLs lead back to the app (its APP_BASE_URL is its own address)."""
    base = app.base_url
    metadata = {
        "purchase_id": str(purchase.id),
        "package_id": purchase.package_id,
        "wallet": wallet,
    }
    return {
        "mode": "payment",
        "line_items": [
            {
                "quantity": "1",
                "price_data": {
                    "currency": "usd",
                    "unit_amount": "4500",
                    "product_data": {"name": "Growth: 5,500 credits"},
                },
            }
        ],
        "client_reference_id": str(purchase.id),
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata},
        "success_url": f"{base}{return_path}?checkout=success&session_id={{CHECKOUT_SESSION_ID}}",
        "cancel_url": f"{base}{return_path}?checkout=cancel",
    }


def test_purchase_sends_catalog_priced_session_with_idempotency_key_and_secret_key(
    stripe_api_client: ApiClient, fake_stripe: FakeStripeServer, stripe_api: RunningApp
) -> None:
    api = stripe_api_client
    buyer = api.register("buyer")
    body = {"packageId": "growth", "priceCents": 1, "price": 1, "amount": 1, "unitPrice": 1}
    response = api.http.post("/api/credits/purchase", json=body, headers=buyer.headers)

    assert response.status_code == 200, response.text
    answer = response.json()
    assert set(answer) == {"checkoutUrl", "sessionId"}
    [create] = fake_stripe.requests_to("POST", SESSIONS)
    assert create.response is not None
    assert answer == {"checkoutUrl": create.response["url"], "sessionId": create.response["id"]}
    purchase = purchase_for(answer["sessionId"])
    assert create.params == expected_params(stripe_api, purchase, f"user:{buyer.id}", "/credits")
    assert create.idempotency_key == f"purchase-{purchase.id}-checkout-session"
    assert create.authorization == f"Bearer {FAKE_STRIPE_KEY}"
    assert create.response["amount_total"] == 4500  # the client's price of 1 went nowhere
    assert (purchase.status, purchase.package_id, purchase.owner_kind, purchase.owner_id) == (
        "pending",
        "growth",
        "user",
        buyer.id,
    )
    assert (purchase.price_minor, purchase.currency) == (4500, "usd")
    assert purchase.credits == 5_500 * UNITS_PER_CREDIT
    assert purchase.bonus_credits == 500 * UNITS_PER_CREDIT
    assert entry_types(WalletOwner.user(buyer.id)) == []  # nothing credited before payment


@pytest.mark.parametrize("how", ["500", "disconnect"])
def test_a_transient_stripe_failure_is_retried_with_the_same_key_and_opens_one_session(
    stripe_api_client: ApiClient, fake_stripe: FakeStripeServer, how: str
) -> None:
    api = stripe_api_client
    buyer = api.register("buyer")
    fake_stripe.fail_next(1, how="500" if how == "500" else "disconnect")

    response = api.http.post(
        "/api/credits/purchase", json={"packageId": "growth"}, headers=buyer.headers
    )

    assert response.status_code == 200, response.text
    first, retry = fake_stripe.requests_to("POST", SESSIONS)
    assert first.idempotency_key == retry.idempotency_key is not None
    assert first.params == retry.params
    [purchase] = purchases_of(buyer)
    assert purchase.stripe_session_id == response.json()["sessionId"]
    assert purchase.status == "pending"


def test_a_retried_request_whose_answer_was_lost_replays_the_same_session(
    stripe_api_client: ApiClient, fake_stripe: FakeStripeServer
) -> None:
    """The request reached Stripe, the answer did not: the idempotency key prevents a second
    session (a second charge) for the same purchase."""
    api = stripe_api_client
    buyer = api.register("buyer")
    fake_stripe.fail_next(1, how="drop_response")

    response = api.http.post(
        "/api/credits/purchase", json={"packageId": "starter"}, headers=buyer.headers
    )

    assert response.status_code == 200, response.text
    first, retry = fake_stripe.requests_to("POST", SESSIONS)
    assert first.idempotency_key == retry.idempotency_key
    [purchase] = purchases_of(buyer)
    with unit_of_work() as db:
        sessions = db.exec(
            select(SimulatedCheckoutSession).where(
                col(SimulatedCheckoutSession.idempotency_key) == first.idempotency_key
            )
        ).all()
    assert [s.id for s in sessions] == [purchase.stripe_session_id]
    assert purchase.stripe_session_id == response.json()["sessionId"]


def test_stripe_down_answers_502_marks_the_purchase_failed_and_credits_nothing(
    stripe_api_client: ApiClient, fake_stripe: FakeStripeServer
) -> None:
    api = stripe_api_client
    buyer = api.register("buyer")
    fake_stripe.fail_next(3)  # the first try and stripe-python's two retries

    response = api.http.post(
        "/api/credits/purchase", json={"packageId": "starter"}, headers=buyer.headers
    )

    assert_error(response, 502, "payment_provider_error")
    attempts = fake_stripe.requests_to("POST", SESSIONS)
    assert len(attempts) == 3
    assert len({a.idempotency_key for a in attempts}) == 1
    [purchase] = purchases_of(buyer)
    assert (purchase.status, purchase.stripe_session_id) == ("failed", None)
    assert ledger_totals(WalletOwner.user(buyer.id)).entry_count == 0
    assert api.balance(buyer) == 0


def test_unknown_package_is_404_and_never_reaches_stripe(
    stripe_api_client: ApiClient, fake_stripe: FakeStripeServer
) -> None:
    api = stripe_api_client
    buyer = api.register("buyer")

    response = api.http.post(
        "/api/credits/purchase", json={"packageId": "no-such-package"}, headers=buyer.headers
    )

    assert_error(response, 404, "package_not_found")
    assert fake_stripe.requests == []
    assert purchases_of(buyer) == []


def test_org_purchase_is_for_owners_and_admins_only(
    stripe_api_client: ApiClient, fake_stripe: FakeStripeServer, stripe_api: RunningApp
) -> None:
    api = stripe_api_client
    owner, admin, member, outsider = (api.register(n) for n in ("owner", "admin", "member", "out"))
    org = api.create_org(owner, "Shop")
    api.add_member(owner, org["id"], admin, "admin")
    api.add_member(owner, org["id"], member, "member")
    path = f"/api/orgs/{org['id']}/credits/purchase"

    def buy(user: ApiUser) -> Any:
        return api.http.post(path, json={"packageId": "growth"}, headers=user.headers)

    assert_error(buy(member), 403, "forbidden")
    assert_error(buy(outsider), 404, "org_not_found")
    assert fake_stripe.requests == []
    for manager in (owner, admin):
        response = buy(manager)
        assert response.status_code == 200, response.text
        purchase = purchase_for(response.json()["sessionId"])
        assert (purchase.owner_kind, purchase.owner_id, purchase.buyer_user_id) == (
            "org",
            org["id"],
            manager.id,
        )
        create = fake_stripe.requests_to("POST", SESSIONS)[-1]
        assert create.response is not None
        assert response.json()["checkoutUrl"] == create.response["url"]
        wallet, return_path = f"org:{org['id']}", f"/organizations/{org['slug']}/credits"
        assert create.params == expected_params(stripe_api, purchase, wallet, return_path)
    assert purchases_of(member) == purchases_of(outsider) == []
