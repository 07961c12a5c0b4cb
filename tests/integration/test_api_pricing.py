"""Custom amounts end to end: `/pricing` quotes, `purchase {credits}` charges exactly that.

Against the real stripe-python client and the fake Stripe server (which records what reached
"Stripe"): the Checkout request carries inline `price_data` with the quoted amount, for the
seeded tiers' edges over HTTP and for 1,000 random amounts started in-process; the paid
session credits a `purchase` lot (with its cost basis) and a separate `bonus` lot.
"""

import random
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlmodel import col

from credits_app.billing.checkout import start_checkout
from credits_app.billing.fulfillment import FulfillmentOutcome, fulfill_checkout_session
from credits_app.billing.pricing import load_tiers, purchase_range, quote
from credits_app.billing.stripe_simulator import complete_session
from credits_app.credits.wallet_service import WalletOwner, entries, wallets
from credits_app.db import unit_of_work
from credits_app.models import CreditLot, Purchase
from tests.conftest import make_user
from tests.support.api_client import ApiClient, ApiUser, assert_error
from tests.support.fake_stripe_server import FakeStripeServer
from tests.support.stripe_events import UNITS_PER_CREDIT, purchase_for, signed

SESSIONS = "/v1/checkout/sessions"
RANDOM_AMOUNTS = 1_000
THREADS = 8


def buy(api: ApiClient, user: ApiUser, body: dict[str, Any], org_id: int | None = None) -> Any:
    path = "/api/credits/purchase" if org_id is None else f"/api/orgs/{org_id}/credits/purchase"
    return api.http.post(path, json=body, headers=user.headers)


def lots_of(owner: WalletOwner) -> list[CreditLot]:
    with unit_of_work() as db:
        wallet_id = db.execute(
            select(wallets.c.id).where(
                wallets.c.owner_kind == owner.kind.value, wallets.c.owner_id == owner.id
            )
        ).scalar_one()
        query = select(CreditLot).where(col(CreditLot.wallet_id) == wallet_id)
        return list(db.scalars(query.order_by(col(CreditLot.id))).all())


def test_pricing_answers_the_documented_shape_to_anyone(api: ApiClient) -> None:
    response = api.http.get("/api/credits/pricing", params={"credits": "12345"})
    assert response.status_code == 200, response.text
    assert response.json() == {
        "credits": 12345,
        "bonusCredits": 617.25,
        "priceCents": 10493,
        "currency": "usd",
        "unitPriceCents": 0.85,
        "savingsPercent": 15,
    }


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({"credits": "99"}, "amount_out_of_range"),
        ({"credits": "10000001"}, "amount_out_of_range"),
        ({"credits": "0"}, "invalid_amount"),
        ({"credits": "-100"}, "invalid_amount"),
        ({"credits": "100.5"}, "invalid_amount"),
        ({"credits": "1e3"}, "invalid_amount"),
        ({"credits": "abc"}, "invalid_amount"),
        ({"credits": ""}, "invalid_amount"),
        ({"credits": "9" * 41}, None),
        ({}, None),
    ],
)
def test_pricing_refuses_bad_amounts_with_a_400(
    api: ApiClient, query: dict[str, str], code: str | None
) -> None:
    response = api.http.get("/api/credits/pricing", params=query)
    assert 400 <= response.status_code < 500, response.text
    if code is not None:
        body = assert_error(response, 400, code)
        if code == "amount_out_of_range":
            assert body["details"]["minCredits"] == 100
            assert body["details"]["maxCredits"] == 10_000_000


@pytest.mark.parametrize("credits", [100, 999, 1_000, 4_999, 5_000, 10_000, 1_000_000, 10_000_000])
def test_a_custom_purchase_sends_checkout_exactly_the_quoted_price(
    stripe_api_client: ApiClient, fake_stripe: FakeStripeServer, credits: int
) -> None:
    api = stripe_api_client
    buyer = api.register("custom")
    quoted = api.http.get("/api/credits/pricing", params={"credits": str(credits)}).json()

    response = buy(api, buyer, {"credits": credits, "priceCents": 1})

    assert response.status_code == 200, response.text
    [create] = fake_stripe.requests_to("POST", SESSIONS)
    [item] = create.params["line_items"]
    assert item["quantity"] == "1"
    assert item["price_data"]["unit_amount"] == str(quoted["priceCents"])
    assert item["price_data"]["currency"] == quoted["currency"]
    assert create.params["metadata"]["package_id"] == "custom"
    assert create.response is not None and create.response["amount_total"] == quoted["priceCents"]
    purchase = purchase_for(response.json()["sessionId"])
    paid_units = credits * UNITS_PER_CREDIT
    bonus_units = int(Decimal(str(quoted["bonusCredits"])) * UNITS_PER_CREDIT)
    assert (purchase.package_id, purchase.price_minor, purchase.bonus_credits) == (
        None,
        quoted["priceCents"],
        bonus_units,
    )
    assert purchase.credits == paid_units + bonus_units
    assert purchase.unit_price_micros == int(Decimal(str(quoted["unitPriceCents"])) * 10**6)


def test_a_paid_custom_purchase_credits_a_costed_lot_and_a_separate_bonus_lot(
    stripe_api_client: ApiClient,
) -> None:
    api = stripe_api_client
    buyer = api.register("bonus")
    session_id = buy(api, buyer, {"credits": 20_000}).json()["sessionId"]

    delivery = signed("checkout.session.completed", complete_session(session_id))
    assert delivery.post(api.http).status_code == 200

    owner = WalletOwner.user(buyer.id)
    paid, bonus = lots_of(owner)
    purchase = purchase_for(session_id)
    assert purchase.status == "fulfilled"
    assert (paid.source, paid.original, paid.cost_minor, paid.currency) == (
        "purchase",
        20_000 * UNITS_PER_CREDIT,
        17_000,  # 20,000 x 0.85 cents
        "usd",
    )
    assert (bonus.source, bonus.original, bonus.cost_minor, bonus.expires_at) == (
        "bonus",
        1_000 * UNITS_PER_CREDIT,  # 5 %
        0,
        None,
    )
    assert paid.entry_id == bonus.entry_id == purchase.ledger_entry_id  # both from this purchase
    assert api.balance(buyer) == Decimal(21_000)
    history = api.http.get("/api/credits/history", headers=buyer.headers).json()["items"]
    assert history[0]["description"] == "Purchase: 20,000 credits"
    assert history[0]["metadata"]["purchaseId"] == purchase.id


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"credits": 99}, 400, "amount_out_of_range"),
        ({"credits": 10_000_001}, 400, "amount_out_of_range"),
        ({"credits": 0}, 400, "invalid_amount"),
        ({"credits": -5}, 400, "invalid_amount"),
        ({"packageId": "growth", "credits": 1_000}, 400, "invalid_argument"),
        ({}, 400, "invalid_argument"),
        ({"credits": 10**40}, 400, "amount_out_of_range"),
    ],
)
def test_a_bad_custom_purchase_is_refused_and_opens_nothing(
    stripe_api_client: ApiClient,
    fake_stripe: FakeStripeServer,
    body: dict[str, Any],
    status: int,
    code: str,
) -> None:
    api = stripe_api_client
    buyer = api.register("bad")
    assert_error(buy(api, buyer, body), status, code)
    assert fake_stripe.requests_to("POST", SESSIONS) == []
    with unit_of_work() as db:
        mine = db.scalars(select(Purchase).where(col(Purchase.buyer_user_id) == buyer.id)).all()
    assert list(mine) == []


@pytest.mark.parametrize("credits", ["2500", 2500.5, True, [2500]])
def test_a_custom_amount_must_be_a_json_integer(
    stripe_api_client: ApiClient, credits: object
) -> None:
    api = stripe_api_client
    buyer = api.register("kinds")
    response = buy(api, buyer, {"credits": credits})
    assert 400 <= response.status_code < 500, response.text


def test_org_custom_purchases_need_an_owner_or_admin(stripe_api_client: ApiClient) -> None:
    api = stripe_api_client
    owner, member, outsider = api.register("o"), api.register("m"), api.register("x")
    org = api.create_org(owner)
    api.add_member(owner, org["id"], member, "member")
    assert buy(api, owner, {"credits": 2_500}, org["id"]).status_code == 200
    assert_error(buy(api, member, {"credits": 2_500}, org["id"]), 403, "forbidden")
    assert_error(buy(api, outsider, {"credits": 2_500}, org["id"]), 404, "org_not_found")


def test_checkout_charges_the_quote_for_1000_random_amounts(
    stripe_api_client: ApiClient,  # this process on the app's database, a clean fake
    fake_stripe: FakeStripeServer,
    stripe_in_process: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Started in-process (the same `start_checkout` the API and the UI call), each over HTTP
    to the fake Stripe; every recorded Checkout request carries its amount's quote."""
    monkeypatch.setenv("PENDING_PURCHASES_PER_HOUR", str(RANDOM_AMOUNTS))
    from credits_app.settings import get_settings

    get_settings.cache_clear()
    allowed = purchase_range(load_tiers())
    rng = random.Random(1898)
    amounts = [rng.randint(allowed.minimum, allowed.maximum) for _ in range(RANDOM_AMOUNTS)]
    amounts[:4] = [allowed.minimum, allowed.maximum, 1_000, 999]
    buyer = make_user("random")
    owner = WalletOwner.user(buyer.id)
    with ThreadPoolExecutor(THREADS) as pool:
        started = list(
            pool.map(
                lambda n: start_checkout(buyer.id, owner, credits=n, return_path="/c"), amounts
            )
        )

    creates = {
        create.response["id"]: create
        for create in fake_stripe.requests_to("POST", SESSIONS)
        if create.response is not None
    }
    assert len(creates) == RANDOM_AMOUNTS
    charged = {
        credits: creates[checkout.session_id].params["line_items"][0]["price_data"]["unit_amount"]
        for credits, checkout in zip(amounts, started, strict=True)
    }
    mismatches = {n: sent for n, sent in charged.items() if sent != str(quote(n).price_minor)}
    assert mismatches == {}


@pytest.mark.postgres
def test_the_largest_allowed_purchase_fits_every_column_and_is_credited(
    postgres_url: str,
    stripe_api_client: ApiClient,
    api_database_engine: Engine,
    stripe_in_process: None,
) -> None:
    """new-api#6831: a $10,000 top-up overflowed a 32-bit field and was never credited."""
    assert str(api_database_engine.url).startswith("postgresql")
    api = stripe_api_client
    buyer = api.register("whale")
    largest = purchase_range(load_tiers()).maximum
    quoted = quote(largest)
    session_id = buy(api, buyer, {"credits": largest}).json()["sessionId"]
    session = complete_session(session_id)
    assert session["amount_total"] == quoted.price_minor

    assert signed("checkout.session.completed", session).post(api.http).status_code == 200
    assert fulfill_checkout_session(session_id) == FulfillmentOutcome.ALREADY_FULFILLED

    purchase = purchase_for(session_id)
    total_units = quoted.credits_units + quoted.bonus_units
    assert purchase.status == "fulfilled"
    assert (purchase.credits, purchase.price_minor) == (total_units, quoted.price_minor)
    assert purchase.credits > 2**31 and purchase.price_minor == 5_500_000  # $55,000
    assert api.balance(buyer) == Decimal(total_units) / UNITS_PER_CREDIT
    with unit_of_work() as db:
        [amount] = db.execute(
            select(entries.c.amount).where(entries.c.id == purchase.ledger_entry_id)
        ).one()
    assert amount == total_units
    assert sum(lot.original for lot in lots_of(WalletOwner.user(buyer.id))) == total_units
