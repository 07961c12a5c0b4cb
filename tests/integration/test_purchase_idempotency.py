"""`POST …/credits/purchase` with an `Idempotency-Key` (DESIGN §4b): a retry answers the first
request's Checkout Session, a changed request is a 409, and racing copies open one purchase.

Over HTTP against the app configured for "real" Stripe (the real stripe-python client and the
fake Stripe server, which records every session it was asked to open).
"""

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from tests.support.api_client import ApiClient, ApiUser, assert_error
from tests.support.fake_stripe_server import FakeStripeServer
from tests.support.stripe_events import purchases_of

SESSIONS = "/v1/checkout/sessions"


def buy(
    api: ApiClient, user: ApiUser, body: dict[str, Any], key: str | None, path: str | None = None
) -> httpx.Response:
    headers = dict(user.headers) | ({"Idempotency-Key": key} if key is not None else {})
    return api.http.post(path or "/api/credits/purchase", json=body, headers=headers)


def test_a_replayed_key_answers_the_same_checkout_session_and_opens_nothing_new(
    stripe_api_client: ApiClient, fake_stripe: FakeStripeServer
) -> None:
    api = stripe_api_client
    buyer = api.register("replay")

    first = buy(api, buyer, {"packageId": "growth"}, "order-1")
    again = buy(api, buyer, {"packageId": "growth"}, "order-1")

    assert first.status_code == again.status_code == 200, (first.text, again.text)
    assert again.json() == first.json()
    assert len(fake_stripe.requests_to("POST", SESSIONS)) == 1
    [purchase] = purchases_of(buyer)
    assert purchase.stripe_session_id == first.json()["sessionId"]
    assert purchase.checkout_url == first.json()["checkoutUrl"]


def test_the_same_key_with_another_package_amount_or_wallet_is_a_409_and_changes_nothing(
    stripe_api_client: ApiClient, fake_stripe: FakeStripeServer
) -> None:
    api = stripe_api_client
    buyer = api.register("conflict")
    org = api.create_org(buyer, "Conflict")
    assert buy(api, buyer, {"packageId": "growth"}, "order-2").status_code == 200

    org_path = f"/api/orgs/{org['id']}/credits/purchase"
    for body, path in (
        ({"packageId": "starter"}, None),
        ({"credits": 5000}, None),
        ({"packageId": "growth"}, org_path),
    ):
        assert_error(buy(api, buyer, body, "order-2", path), 409, "idempotency_conflict")

    assert len(purchases_of(buyer)) == 1
    assert len(fake_stripe.requests_to("POST", SESSIONS)) == 1


def test_keys_belong_to_their_buyer_and_requests_without_a_key_always_open_a_new_purchase(
    stripe_api_client: ApiClient,
) -> None:
    api = stripe_api_client
    alice, bob = api.register("alice"), api.register("bob")

    mine = buy(api, alice, {"packageId": "starter"}, "shared-key")
    theirs = buy(api, bob, {"packageId": "starter"}, "shared-key")
    unkeyed = [buy(api, alice, {"packageId": "starter"}, None) for _ in range(2)]

    assert {r.status_code for r in (mine, theirs, *unkeyed)} == {200}
    sessions = {r.json()["sessionId"] for r in (mine, theirs, *unkeyed)}
    assert len(sessions) == 4
    assert (len(purchases_of(alice)), len(purchases_of(bob))) == (3, 1)


def test_a_key_whose_checkout_failed_at_stripe_is_free_for_the_retry(
    stripe_api_client: ApiClient, fake_stripe: FakeStripeServer
) -> None:
    api = stripe_api_client
    buyer = api.register("retry")
    fake_stripe.fail_next(3)  # the first try and stripe-python's two retries

    failed = buy(api, buyer, {"packageId": "starter"}, "order-3")
    retried = buy(api, buyer, {"packageId": "starter"}, "order-3")

    assert_error(failed, 502, "payment_provider_error")
    assert retried.status_code == 200, retried.text
    failed_purchase, opened = purchases_of(buyer)
    assert (failed_purchase.status, failed_purchase.idempotency_key) == ("failed", None)
    assert (opened.status, opened.idempotency_key) == ("pending", "order-3")
    assert opened.stripe_session_id == retried.json()["sessionId"]


def test_racing_copies_of_one_keyed_request_open_one_purchase_and_one_session(
    stripe_api_client: ApiClient, fake_stripe: FakeStripeServer
) -> None:
    """Each copy either answers the one session or is told the first is still in progress."""
    api = stripe_api_client
    buyer = api.register("racer")

    def attempt(_: int) -> httpx.Response:
        with httpx.Client(base_url=str(api.http.base_url), timeout=30) as client:
            headers = dict(buyer.headers) | {"Idempotency-Key": "order-race"}
            return client.post("/api/credits/purchase", json={"packageId": "pro"}, headers=headers)

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(attempt, range(8)))

    [purchase] = purchases_of(buyer)
    assert len(fake_stripe.requests_to("POST", SESSIONS)) == 1
    for answer in answers:
        if answer.status_code == 409:
            assert answer.json()["error"]["code"] == "idempotency_key_in_use"
        else:
            assert answer.status_code == 200, answer.text
            assert answer.json()["sessionId"] == purchase.stripe_session_id
    assert any(a.status_code == 200 for a in answers)
    settled = buy(api, buyer, {"packageId": "pro"}, "order-race")
    assert settled.json()["sessionId"] == purchase.stripe_session_id


def test_an_empty_or_overlong_key_is_a_422_and_opens_nothing(
    stripe_api_client: ApiClient, fake_stripe: FakeStripeServer
) -> None:
    api = stripe_api_client
    buyer = api.register("badkey")
    for key in ("", "k" * 201):
        assert_error(buy(api, buyer, {"packageId": "starter"}, key), 422, "validation_error")
    assert purchases_of(buyer) == []
    assert fake_stripe.requests == []
