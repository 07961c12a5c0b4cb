"""The local checkout simulator (opted into with STRIPE_SIMULATOR=true, no Stripe key), over HTTP.

The page is plainly labelled test mode; "Pay" (only by the purchase's own signed-in buyer)
completes the session and delivers a signed event to the real webhook code, then redirects to
the success URL; "Cancel" returns to the cancel URL. Events are signed with a random secret
kept in the database, never a constant. The simulator refuses to run once a real Stripe key is
configured, and without the flag (and without a key) purchases are 503 `payments_not_configured`.
"""

import logging
import re
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import select

from credits_app.api import create_api
from credits_app.billing import stripe_simulator
from credits_app.billing.stripe_gateway import simulator_webhook_secret, warn_if_simulator_enabled
from credits_app.credits.wallet_service import WalletOwner
from credits_app.db import make_engine, unit_of_work, use_engine
from credits_app.migrations import upgrade_to_head
from credits_app.models import Purchase
from credits_app.settings import get_settings
from tests.support.api_client import PASSWORD, ApiClient, ApiUser, assert_error
from tests.support.app_server import RunningApp
from tests.support.stripe_events import purchase_entries, purchase_for, signed
from tests.support.wallets import ledger_totals

OLD_PUBLIC_SECRET = "whsec_local_simulator_not_secret"  # what the simulator used to sign with

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

    response = api.http.get(page, headers=buyer.headers)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "Test mode — no real payment" in response.text
    assert "Starter: 1,000 credits" in response.text
    assert "10.00 USD" in response.text


def test_pay_redirects_to_the_success_url_and_credits_once(api: ApiClient) -> None:
    buyer = api.register("buyer")
    page, session_id = start(api, buyer)

    response = api.http.post(f"{page}/pay", headers=buyer.headers)

    assert response.status_code == 303
    base = app_url(api)
    assert response.headers["location"] == (
        f"{base}/credits?checkout=success&session_id={session_id}"
    )
    assert api.balance(buyer) == STARTER_CREDITS
    assert purchase_for(session_id).status == "fulfilled"

    # back button, double click: the session is closed
    again = api.http.post(f"{page}/pay", headers=buyer.headers)

    assert_error(again, 404, "not_found")
    assert api.http.get(page, headers=buyer.headers).status_code == 404
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
    headers = api.register("buyer").headers
    page = "/api/stripe-simulator/checkout/cs_test_nope"
    assert_error(api.http.get(page, headers=headers), 404, "not_found")
    assert_error(api.http.post(f"{page}/pay", headers=headers), 404, "not_found")


def register_browser(api: ApiClient) -> tuple[ApiUser, dict[str, str]]:
    """Register as a browser does: the user, and the session and CSRF cookies it was given."""
    email = f"browser-{uuid.uuid4().hex[:12]}@example.com"
    response = api.http.post(
        "/api/auth/register", json={"email": email, "name": "Browser", "password": PASSWORD}
    )
    assert response.status_code == 201, response.text
    pairs = (h.split(";")[0].split("=", 1) for h in response.headers.get_list("set-cookie"))
    body = response.json()
    return ApiUser(body["user"]["id"], email, body["token"]), dict(pairs)


def cookie_header(cookies: dict[str, str]) -> dict[str, str]:
    return {"Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items())}


def test_pay_is_accepted_only_from_the_purchases_own_signed_in_buyer(api: ApiClient) -> None:
    """Issue 11, finding 3: Pay used to need no login, so anyone could pay anyone's session."""
    buyer, cookies = register_browser(api)
    stranger = api.register("stranger")
    page, session_id = start(api, buyer)
    pay = f"{page}/pay"
    form = {"Content-Type": "application/x-www-form-urlencoded"}

    assert_error(api.http.post(pay), 401, "not_authenticated")
    assert_error(api.http.get(page), 401, "not_authenticated")
    assert_error(api.http.post(pay, headers=stranger.headers), 404, "not_found")
    assert_error(api.http.get(page, headers=stranger.headers), 404, "not_found")
    # The buyer's own cookie, but not the page's CSRF token (a cross-site form): refused.
    assert_error(api.http.post(pay, headers=cookie_header(cookies)), 403, "csrf_failed")
    forged = api.http.post(pay, content="csrfToken=guess", headers=cookie_header(cookies) | form)
    assert_error(forged, 403, "csrf_failed")
    assert api.balance(buyer) == 0
    assert purchase_for(session_id).status == "pending"

    # The browser: the page carries the CSRF token in its form, the Pay form posts it back.
    shown = api.http.get(page, headers=cookie_header(cookies))
    assert shown.status_code == 200, shown.text
    token = re.search(r'name="csrfToken" value="([^"]+)"', shown.text)
    assert token is not None and token.group(1) == cookies["uc_csrf"]
    paid = api.http.post(
        pay, content=f"csrfToken={token.group(1)}", headers=cookie_header(cookies) | form
    )

    assert paid.status_code == 303, paid.text
    assert api.balance(buyer) == STARTER_CREDITS
    assert purchase_for(session_id).status == "fulfilled"


def test_events_signed_with_the_old_public_constant_are_refused(api: ApiClient) -> None:
    """A forged `checkout.session.expired` used to expire a real pending purchase."""
    buyer = api.register("buyer")
    _, session_id = start(api, buyer)
    data = {"id": session_id, "object": "checkout.session", "status": "expired"}

    forged = signed("checkout.session.expired", data, secret=OLD_PUBLIC_SECRET).post(api.http)

    assert_error(forged, 400, "invalid_signature")
    assert purchase_for(session_id).status == "pending"

    # The app signs with this database's own secret (this process reads the same database).
    secret = simulator_webhook_secret()
    assert secret.startswith("whsec_") and secret != OLD_PUBLIC_SECRET and len(secret) >= 40
    genuine = signed("checkout.session.expired", data, secret=secret).post(api.http)
    assert genuine.status_code == 200, genuine.text
    assert purchase_for(session_id).status == "expired"


def test_the_simulator_secret_is_made_once_per_database(tmp_path: Path) -> None:
    secrets = []
    for name in ("one", "two"):
        engine = make_engine(f"sqlite:///{tmp_path / name}.db")
        upgrade_to_head(engine, log=False)
        use_engine(engine)
        first = simulator_webhook_secret()
        assert simulator_webhook_secret() == first  # stable: every instance signs the same
        secrets.append(first)
        engine.dispose()
    assert secrets[0] != secrets[1]


def test_the_running_app_warns_loudly_that_the_simulator_is_on(api_server: RunningApp) -> None:
    log = api_server.log_file.read_text(errors="replace")
    assert "STRIPE SIMULATOR IS ON" in log


def test_no_warning_without_the_flag(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("STRIPE_SIMULATOR", raising=False)
    monkeypatch.delenv("STRIPE_SECRET_KEY", raising=False)
    get_settings.cache_clear()
    try:
        with caplog.at_level(logging.WARNING):
            warn_if_simulator_enabled()
        assert "SIMULATOR" not in caplog.text
        monkeypatch.setenv("STRIPE_SIMULATOR", "true")
        get_settings.cache_clear()
        with caplog.at_level(logging.WARNING):
            warn_if_simulator_enabled()
        assert "STRIPE SIMULATOR IS ON" in caplog.text
    finally:
        get_settings.cache_clear()


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
def in_process_api(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[TestClient]:
    """The API in this process, with no .env to read and neither a Stripe key nor the flag."""
    monkeypatch.chdir(tmp_path)
    for name in ("STRIPE_SECRET_KEY", "STRIPE_SIMULATOR", "STRIPE_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    with TestClient(create_api()) as client:
        yield client
    get_settings.cache_clear()


@pytest.mark.parametrize(
    ("flag", "key"),
    [("true", None), (None, None), ("true", "sk_test_configured"), (None, "sk_live_configured")],
)
def test_the_simulator_pages_run_only_when_opted_into_and_no_key_is_configured(
    open_session: str,
    in_process_api: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    flag: str | None,
    key: str | None,
) -> None:
    for name, value in (("STRIPE_SIMULATOR", flag), ("STRIPE_SECRET_KEY", key)):
        if value is not None:
            monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    page = f"/api/stripe-simulator/checkout/{open_session}"

    statuses = [
        in_process_api.get(page).status_code,
        in_process_api.post(f"{page}/cancel", follow_redirects=False).status_code,
        in_process_api.post(f"{page}/pay", follow_redirects=False).status_code,
    ]

    # On, the page and Pay need the buyer signed in (401); off, the pages do not exist.
    assert statuses == ([401, 303, 401] if flag and not key else [404, 404, 404])
    session = stripe_simulator.find_session(open_session)
    assert session is not None
    assert session["status"] == "open"


def test_without_a_key_or_the_flag_purchases_are_503_and_write_nothing(
    sqlite_engine: Engine, in_process_api: TestClient
) -> None:
    registered = in_process_api.post(
        "/api/auth/register",
        json={"email": "nokey@example.com", "name": "No Key", "password": PASSWORD},
    )
    assert registered.status_code == 201, registered.text
    headers = {"Authorization": f"Bearer {registered.json()['token']}"}

    response = in_process_api.post(
        "/api/credits/purchase", json={"packageId": "starter"}, headers=headers
    )

    assert_error(response, 503, "payments_not_configured")
    with unit_of_work() as db:
        assert db.exec(select(func.count()).select_from(Purchase)).one() == 0
    webhook = signed("checkout.session.completed", {"id": "cs_x"}, secret=OLD_PUBLIC_SECRET)
    assert_error(webhook.post(in_process_api), 503, "payments_not_configured")
