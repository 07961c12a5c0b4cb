"""The local checkout simulator (the embedded default, no Stripe key), driven over HTTP.

The page is plainly labelled test mode; "Pay" completes the session and delivers a signed event
to the real webhook code, then redirects to the success URL; "Cancel" returns to the cancel URL.
The simulator refuses to run once a real Stripe key is configured.
"""

from collections.abc import Iterator
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from credits_app.api import create_api
from credits_app.billing import stripe_simulator
from credits_app.credits.wallet_service import WalletOwner
from credits_app.settings import get_settings
from tests.support.api_client import ApiClient, ApiUser, assert_error
from tests.support.stripe_events import purchase_entries, purchase_for
from tests.support.wallets import ledger_totals

STARTER_CREDITS = Decimal(1000)


def start(api: ApiClient, user: ApiUser) -> tuple[str, str]:
    """Buy the starter package; returns (checkout page path, session id)."""
    response = api.http.post(
        "/api/credits/purchase", json={"packageId": "starter"}, headers=user.headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    page = f"/api/stripe-simulator/checkout/{body['sessionId']}"
    assert body["checkoutUrl"] == f"{app_url(api)}{page}"  # the app's own test checkout
    return page, body["sessionId"]


def app_url(api: ApiClient) -> str:
    """The app's address, which is also its APP_BASE_URL (where Checkout returns to)."""
    return str(api.http.base_url).rstrip("/")


def test_the_checkout_page_says_test_mode_and_shows_the_package(api: ApiClient) -> None:
    buyer = api.register("buyer")
    page, _ = start(api, buyer)

    response = api.http.get(page)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "Test mode — no real payment" in response.text
    assert "Starter: 1,000 credits" in response.text
    assert "10.00 USD" in response.text


def test_pay_redirects_to_the_success_url_and_credits_once(api: ApiClient) -> None:
    buyer = api.register("buyer")
    page, session_id = start(api, buyer)

    response = api.http.post(f"{page}/pay")

    assert response.status_code == 303
    base = app_url(api)
    assert response.headers["location"] == (
        f"{base}/credits?checkout=success&session_id={session_id}"
    )
    assert api.balance(buyer) == STARTER_CREDITS
    assert purchase_for(session_id).status == "fulfilled"

    again = api.http.post(f"{page}/pay")  # back button, double click: the session is closed

    assert_error(again, 404, "not_found")
    assert api.http.get(page).status_code == 404
    assert api.balance(buyer) == STARTER_CREDITS
    assert purchase_entries(WalletOwner.user(buyer.id)) == 1


def test_cancel_redirects_to_the_cancel_url_and_credits_nothing(api: ApiClient) -> None:
    buyer = api.register("buyer")
    page, session_id = start(api, buyer)

    response = api.http.post(f"{page}/cancel")

    assert response.status_code == 303
    assert response.headers["location"] == f"{app_url(api)}/credits?checkout=cancel"
    assert api.balance(buyer) == 0
    assert purchase_for(session_id).status == "pending"
    assert ledger_totals(WalletOwner.user(buyer.id)).entry_count == 0


def test_an_unknown_session_is_404(api: ApiClient) -> None:
    assert_error(api.http.get("/api/stripe-simulator/checkout/cs_test_nope"), 404, "not_found")
    assert_error(api.http.post("/api/stripe-simulator/checkout/cs_test_nope/pay"), 404, "not_found")


@pytest.fixture
def open_session(sqlite_engine: Engine) -> str:
    """An open simulated session in this process's database (made while no key is set)."""
    params = {
        "mode": "payment",
        "line_items": [{"quantity": "1", "price_data": {"currency": "usd", "unit_amount": "1000"}}],
        "success_url": "http://localhost:3000/credits?checkout=success",
        "cancel_url": "http://localhost:3000/credits?checkout=cancel",
    }
    status, session = stripe_simulator.create_session(params, None)
    assert status == 200
    session_id: str = session["id"]
    return session_id


@pytest.fixture
def in_process_api() -> Iterator[TestClient]:
    get_settings.cache_clear()
    with TestClient(create_api()) as client:
        yield client
    get_settings.cache_clear()


@pytest.mark.parametrize("key", [None, "sk_test_configured", "sk_live_configured"])
def test_the_simulator_pages_are_404_once_a_stripe_key_is_configured(
    open_session: str,
    in_process_api: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    key: str | None,
) -> None:
    if key is None:
        monkeypatch.delenv("STRIPE_SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("STRIPE_SECRET_KEY", key)
    get_settings.cache_clear()
    page = f"/api/stripe-simulator/checkout/{open_session}"

    statuses = [
        in_process_api.get(page).status_code,
        in_process_api.post(f"{page}/cancel", follow_redirects=False).status_code,
        in_process_api.post(f"{page}/pay", follow_redirects=False).status_code,
    ]

    assert statuses == ([200, 303, 303] if key is None else [404, 404, 404])
    session = stripe_simulator.find_session(open_session)
    assert session is not None
    assert session["status"] == ("complete" if key is None else "open")
