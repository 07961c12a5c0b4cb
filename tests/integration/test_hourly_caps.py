"""Per-user hourly caps on creating organizations and pending purchases (issue 11, finding 8).

Fifty calls used to make fifty rows. The caps are counted from the database (the rows created
in the last hour, under a lock on the user's row), so they hold across app instances and
concurrent requests: tested over HTTP against the running app, and with real concurrency on
SQLite and Postgres.
"""

import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func
from sqlmodel import col, select

from credits_app.auth.accounts import UserInfo
from credits_app.auth.organizations import create_org_for_user, list_user_orgs
from credits_app.billing.checkout import start_checkout
from credits_app.clock import frozen_at, utcnow
from credits_app.credits.errors import CreditsError
from credits_app.credits.owners import WalletOwner
from credits_app.db import unit_of_work
from credits_app.models import Purchase
from credits_app.settings import Settings, get_settings
from tests.conftest import make_user
from tests.support.api_client import ApiClient, assert_error

DEFAULTS = Settings()


def purchases_of(buyer_id: int) -> int:
    with unit_of_work() as db:
        query = select(func.count()).select_from(Purchase)
        return db.exec(query.where(col(Purchase.buyer_user_id) == buyer_id)).one()


def assert_rate_limited(response: httpx.Response) -> None:
    """429 `rate_limited` in the error shape, with a Retry-After that the details repeat."""
    error = assert_error(response, 429, "rate_limited")
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= 3600
    assert error["details"]["retryAfterSeconds"] == retry_after


def test_org_creation_over_the_cap_is_429_with_retry_after_and_creates_nothing(
    api: ApiClient,
) -> None:
    user = api.register("founder")
    cap = DEFAULTS.org_creations_per_hour
    for number in range(cap):
        created = api.http.post("/api/orgs", json={"name": f"Org {number}"}, headers=user.headers)
        assert created.status_code == 201, created.text

    refused = api.http.post("/api/orgs", json={"name": "One too many"}, headers=user.headers)

    assert_rate_limited(refused)
    me = api.http.get("/api/me", headers=user.headers).json()
    assert len(me["orgs"]) == cap
    # Another user is not affected by this user's cap.
    other = api.register("other")
    assert (
        api.http.post("/api/orgs", json={"name": "Mine"}, headers=other.headers).status_code == 201
    )


def test_pending_purchases_over_the_cap_are_429_and_write_nothing(api: ApiClient) -> None:
    buyer = api.register("buyer")
    org = api.create_org(buyer, "Shop")
    cap = DEFAULTS.pending_purchases_per_hour
    for number in range(cap):  # personal and org purchases count for the same buyer
        path = "/api/credits/purchase" if number % 2 else f"/api/orgs/{org['id']}/credits/purchase"
        started = api.http.post(path, json={"packageId": "starter"}, headers=buyer.headers)
        assert started.status_code == 200, started.text

    refused = api.http.post(
        "/api/credits/purchase", json={"packageId": "starter"}, headers=buyer.headers
    )

    assert_rate_limited(refused)
    assert purchases_of(buyer.id) == cap


@pytest.fixture
def small_caps(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process with caps of 3 and the simulator on (start_checkout runs in-process)."""
    monkeypatch.setenv("ORG_CREATIONS_PER_HOUR", "3")
    monkeypatch.setenv("PENDING_PURCHASES_PER_HOUR", "3")
    monkeypatch.setenv("STRIPE_SIMULATOR", "true")
    monkeypatch.delenv("STRIPE_SECRET_KEY", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def race(attempts: int, call: Callable[[int], object]) -> tuple[int, list[str]]:
    """Run `call(i)` for every attempt at once; (successes, error codes of the refusals)."""

    def attempt(number: int) -> str:
        try:
            call(number)
        except CreditsError as error:
            return error.code
        return "ok"

    with ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = list(pool.map(attempt, range(attempts)))
    refusals = [outcome for outcome in outcomes if outcome != "ok"]
    return outcomes.count("ok"), refusals


@pytest.mark.usefixtures("any_engine", "small_caps")
def test_concurrent_org_creations_never_pass_the_cap() -> None:
    user: UserInfo = make_user("racer")
    tag = uuid.uuid4().hex[:8]

    created, refusals = race(12, lambda n: create_org_for_user(user.id, f"Race {tag} {n}"))

    assert created == 3
    assert refusals == ["rate_limited"] * 9
    assert len(list_user_orgs(user.id)) == 3


@pytest.mark.usefixtures("any_engine", "small_caps")
def test_concurrent_purchases_never_pass_the_cap() -> None:
    buyer = make_user("buyer")
    owner = WalletOwner.user(buyer.id)

    started, refusals = race(
        12, lambda _: start_checkout(buyer.id, owner, "starter", return_path="/credits")
    )

    assert started == 3
    assert refusals == ["rate_limited"] * 9
    assert purchases_of(buyer.id) == 3


@pytest.mark.usefixtures("any_engine", "small_caps")
def test_the_cap_counts_only_the_last_hour_and_only_pending_purchases() -> None:
    buyer = make_user("buyer")
    owner = WalletOwner.user(buyer.id)
    start = utcnow()
    with frozen_at(start - timedelta(minutes=61)):
        for _ in range(3):
            start_checkout(buyer.id, owner, "starter", return_path="/credits")
    with frozen_at(start):
        for _ in range(3):  # the three above are over an hour old
            start_checkout(buyer.id, owner, "starter", return_path="/credits")
        with pytest.raises(CreditsError) as refused:
            start_checkout(buyer.id, owner, "starter", return_path="/credits")
        assert refused.value.code == "rate_limited"
        with unit_of_work() as db:  # one of them is no longer pending (paid, say): room again
            purchase = db.exec(
                select(Purchase)
                .where(col(Purchase.buyer_user_id) == buyer.id)
                .order_by(col(Purchase.id).desc())
            ).first()
            assert purchase is not None
            purchase.status = "expired"
            db.add(purchase)
        start_checkout(buyer.id, owner, "starter", return_path="/credits")
    assert purchases_of(buyer.id) == 7
