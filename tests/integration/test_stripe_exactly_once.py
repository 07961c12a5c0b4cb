"""Exactly-once crediting under real concurrency, on Postgres (the production setting).

200 paid purchases. Each one's completion is delivered five times at once over HTTP (three
distinct event ids, two of them also redelivered identically, as Stripe does after a timeout),
while the success page fulfills the same session in this process; afterwards every event is
replayed once more, late. Every purchase must end credited exactly once: one `purchase` ledger
entry per session and a balance equal to the package's credits (Lago #2243, Pay #371,
opencode #28402 were duplicate credits after webhook retries).
"""

import random
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import col

from credits_app.billing.checkout import start_checkout
from credits_app.billing.fulfillment import fulfill_checkout_session
from credits_app.billing.stripe_simulator import complete_session
from credits_app.credits.categories import TransactionType
from credits_app.credits.wallet_service import WalletOwner, entries, wallets
from credits_app.models import Purchase
from tests.conftest import make_user
from tests.support.api_client import ApiClient
from tests.support.app_server import RunningApp
from tests.support.stripe_events import UNITS_PER_CREDIT, Delivery, signed

pytestmark = pytest.mark.postgres

PURCHASES = 200
THREADS = 24
PACKAGES = {"starter": 1_000, "growth": 5_500}  # credits, bonus included


def test_every_purchase_is_credited_exactly_once_whatever_arrives(
    postgres_url: str,  # Postgres only: skips (or fails under CI) without TEST_DATABASE_URL
    stripe_api: RunningApp,
    api_database_engine: Engine,
    stripe_api_client: ApiClient,  # this process on the app's database, a clean fake
    stripe_in_process: None,
) -> None:
    assert stripe_api.database_url == postgres_url
    buyers = [make_user("buyer") for _ in range(PURCHASES)]
    package_of = {b.id: ("starter", "growth")[i % 2] for i, b in enumerate(buyers)}
    with ThreadPoolExecutor(8) as pool:
        started = list(
            pool.map(
                lambda b: start_checkout(
                    b.id, WalletOwner.user(b.id), package_of[b.id], return_path="/credits"
                ),
                buyers,
            )
        )
    sessions = [s.session_id for s in started]
    owner_of = {s.session_id: buyer.id for s, buyer in zip(started, buyers, strict=True)}

    deliveries: dict[str, list[Delivery]] = {}
    for session_id in sessions:
        session = complete_session(session_id)
        first = signed("checkout.session.completed", session)
        second = signed("checkout.session.completed", session)
        third = signed("checkout.session.async_payment_succeeded", session)
        deliveries[session_id] = [first, first, second, second, third]

    outcomes: dict[str, list[str]] = defaultdict(list)
    limits = httpx.Limits(max_connections=THREADS, max_keepalive_connections=THREADS)
    with httpx.Client(base_url=stripe_api.base_url, timeout=120, limits=limits) as http:

        def webhook(session_id: str, delivery: Delivery) -> Callable[[], None]:
            def call() -> None:
                response = delivery.post(http)
                assert response.status_code == 200, response.text
                outcomes[session_id].append(response.json()["outcome"])

            return call

        def success_page(session_id: str) -> Callable[[], None]:
            return lambda: outcomes[session_id].append(fulfill_checkout_session(session_id).value)

        calls: list[Callable[[], None]] = []
        for session_id in sessions:  # a purchase's six calls are adjacent, so they race
            racing = [webhook(session_id, d) for d in deliveries[session_id]]
            racing.append(success_page(session_id))
            random.shuffle(racing)
            calls.extend(racing)
        run_all(calls)

        replays = [webhook(session_id, deliveries[session_id][0]) for session_id in sessions]
        run_all(replays)

    for session_id in sessions:
        counted = Counter(outcomes[session_id])
        assert counted["fulfilled"] == 1, (session_id, counted)
        assert set(counted) <= {"fulfilled", "already_fulfilled", "duplicate"}, counted
        assert outcomes[session_id][-1] == "duplicate"  # the late replay
        assert sum(counted.values()) == 7

    owners = [owner_of[s] for s in sessions]
    with api_database_engine.connect() as connection:
        rows = connection.execute(
            select(
                wallets.c.owner_id,
                wallets.c.balance,
                func.coalesce(func.sum(entries.c.amount), 0),
                func.count(entries.c.id).filter(entries.c.type == TransactionType.PURCHASE.value),
            )
            .select_from(wallets.outerjoin(entries, entries.c.wallet_id == wallets.c.id))
            .where(wallets.c.owner_kind == "user", wallets.c.owner_id.in_(owners))
            .group_by(wallets.c.id, wallets.c.owner_id, wallets.c.balance)
        ).all()
        fulfilled = connection.execute(
            select(func.count())
            .select_from(Purchase)
            .where(col(Purchase.stripe_session_id).in_(sessions))
            .where(col(Purchase.status) == "fulfilled")
        ).scalar_one()
    assert len(rows) == PURCHASES
    for owner_id, balance, ledger_sum, purchase_entries in rows:
        expected = PACKAGES[package_of[owner_id]] * UNITS_PER_CREDIT
        assert (balance, ledger_sum, purchase_entries) == (expected, expected, 1), owner_id
    assert fulfilled == PURCHASES


def run_all(calls: list[Callable[[], None]]) -> None:
    """Run the calls on THREADS threads in order of submission; re-raise the first failure."""
    with ThreadPoolExecutor(THREADS) as pool:
        for future in [pool.submit(call) for call in calls]:
            future.result()
