"""The monthly limit under real concurrency on Postgres (row locks under READ COMMITTED).

The limit is checked in the same guarded UPDATE that moves the balance, so concurrent spenders
queue on the wallet row and re-check the limit against the committed spending: never more than
the limit is spent, and a duplicate that had to undo its move un-counts its spending too.
"""

import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from credits_app.clock import month_of, utcnow
from credits_app.credits import credit_service as credits
from credits_app.credits.errors import CreditsError
from credits_app.credits.wallet_service import WalletOwner
from credits_app.credits.wallet_settings import update_wallet_settings
from tests.conftest import make_user
from tests.support.races import race as shared_race
from tests.support.wallets import ledger_totals, usage_units_in_month, wallet_state

pytestmark = pytest.mark.postgres

THREADS = 16


def race(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run every call on THREADS threads, started together, and collect results or exceptions."""
    return shared_race(list(calls), expected=CreditsError, threads=THREADS)


def test_forty_concurrent_deductions_against_a_limit_of_fifteen(postgres_engine: Engine) -> None:
    user = make_user("racer")
    owner = WalletOwner.user(user.id)
    credits.grant_personal_credits(user.id, 1000, description="plenty")
    update_wallet_settings(owner, {"monthly_limit": 15})
    outcomes = race([lambda: credits.deduct_personal_credits(user.id, 1, category="ai_usage")] * 40)
    kinds = Counter(type(o).__name__ for o in outcomes)
    assert kinds == {"CreditResult": 15, "MonthlyLimitReached": 25}
    balances_after = sorted(o.new_balance for o in outcomes if not isinstance(o, Exception))
    assert balances_after == [Decimal(985 + i) for i in range(15)]
    state = wallet_state(owner)
    assert state.spent_this_month == 15 * 10_000
    assert state.spent_this_month == usage_units_in_month(owner, month_of(utcnow()))
    totals = ledger_totals(owner)
    assert totals.balance == totals.ledger_sum == 985 * 10_000
    assert totals.entry_count == 16


def test_concurrent_spenders_on_a_limit_and_a_short_balance_never_pass_either(
    postgres_engine: Engine,
) -> None:
    user = make_user("racer")
    owner = WalletOwner.user(user.id)
    credits.grant_personal_credits(user.id, 12, description="funding")
    update_wallet_settings(owner, {"monthly_limit": 20})
    calls: list[Callable[[], Any]] = []
    for i in range(48):
        if i % 4 == 0:
            calls.append(lambda: credits.grant_personal_credits(user.id, 1, description="top-up"))
        else:
            calls.append(lambda: credits.deduct_personal_credits(user.id, 1, category="other"))
    outcomes = race(calls)
    spent = sum(1 for o in outcomes if not isinstance(o, Exception) and o.amount < 0)
    refusals = {o.code for o in outcomes if isinstance(o, Exception)}
    assert refusals <= {"monthly_limit_reached", "insufficient_credits"}
    assert 12 <= spent <= 20  # 36 deductions for at most 24 credits: some are always refused
    state = wallet_state(owner)
    assert state.spent_this_month == spent * 10_000 <= 20 * 10_000
    totals = ledger_totals(owner)
    assert totals.balance == totals.ledger_sum == (12 + 12 - spent) * 10_000 >= 0


def test_a_duplicate_waiting_on_the_row_lock_replays_and_counts_the_spending_once(
    postgres_engine: Engine,
) -> None:
    """B waits for A's wallet lock (every write locks the wallet before it reads anything), then
    sees A's committed key and replays A's entry: the spending is counted once. (Before lots,
    B could pass the key check first and had to undo its move.)"""
    user = make_user("racer")
    owner = WalletOwner.user(user.id)
    credits.grant_personal_credits(user.id, 10, description="funding")
    update_wallet_settings(owner, {"monthly_limit": 10})
    request: dict[str, Any] = {"category": "ai_usage", "idempotency_key": "raced"}
    with Session(postgres_engine) as session_a, session_a.begin():
        winner = credits.deduct_personal_credits(user.id, 4, session=session_a, **request)
        with ThreadPoolExecutor(1) as pool:
            loser = pool.submit(credits.deduct_personal_credits, user.id, 4, **request)
            wait_until_a_backend_here_waits_for_a_lock(postgres_engine)
            session_a.commit()
            result = loser.result(timeout=30)
    assert result.replayed and result.transaction_id == winner.transaction_id
    state = wallet_state(owner)
    assert (state.balance, state.spent_this_month) == (60_000, 40_000)
    assert ledger_totals(owner).ledger_sum == 60_000
    credits.deduct_personal_credits(user.id, 6, category="ai_usage")  # exactly the rest


def wait_until_a_backend_here_waits_for_a_lock(engine: Engine) -> None:
    """Poll until a session on this test database is blocked on a lock (bounded); sessions of
    other databases on the same server, e.g. a parallel test run, are ignored."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE wait_event_type = 'Lock' AND datname = current_database()"
    )
    with engine.connect() as connection:
        for _ in range(500):
            if connection.execute(query).scalar_one():
                return
            connection.rollback()
            time.sleep(0.01)
    raise AssertionError("the duplicate request never blocked on the wallet's row lock")
