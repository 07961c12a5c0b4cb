"""Real concurrency: many threads race on one wallet; it is never overdrawn and keys apply once.

Runs on Postgres (row locks under READ COMMITTED, the production setting) and on SQLite
(the embedded default, where BEGIN IMMEDIATE serialises writers).
"""

import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text
from sqlmodel import Session

from credits_app.credits import credit_service as credits
from credits_app.credits.errors import InsufficientCredits
from credits_app.credits.wallet_service import WalletOwner, entries, wallets
from tests.conftest import make_org, make_user
from tests.support.races import race as shared_race

THREADS = 16
AFFORDABLE = 25  # deductions the wallet is funded for


def race(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run every call on THREADS threads, started together, and collect results or exceptions."""
    return shared_race(list(calls), expected=InsufficientCredits, threads=THREADS)


def ledger_rows(engine: Engine, owner: WalletOwner) -> tuple[int, int, int]:
    """(balance, sum of entries, number of entries) of one wallet, read straight from SQL."""
    with engine.connect() as connection:
        balance, ledger_sum, count = connection.execute(
            select(
                wallets.c.balance,
                func.coalesce(func.sum(entries.c.amount), 0),
                func.count(entries.c.id),
            )
            .select_from(wallets.outerjoin(entries, entries.c.wallet_id == wallets.c.id))
            .where(wallets.c.owner_kind == owner.kind.value, wallets.c.owner_id == owner.id)
            .group_by(wallets.c.id, wallets.c.balance)
        ).one()
    return int(balance), int(ledger_sum), int(count)


def test_four_times_too_many_concurrent_deductions_succeed_exactly_as_funded(
    any_engine: Engine,
) -> None:
    user = make_user()
    credits.grant_personal_credits(user.id, Decimal("1.5") * AFFORDABLE, description="funding")
    calls = [
        lambda: credits.deduct_personal_credits(user.id, "1.5", category="ai_usage")
        for _ in range(4 * AFFORDABLE)
    ]
    outcomes = race(calls)
    kinds = Counter(type(o).__name__ for o in outcomes)
    assert kinds == {"CreditResult": AFFORDABLE, "InsufficientCredits": 3 * AFFORDABLE}
    balances_after = sorted(o.new_balance for o in outcomes if not isinstance(o, Exception))
    assert balances_after == [Decimal("1.5") * i for i in range(AFFORDABLE)]
    assert ledger_rows(any_engine, WalletOwner.user(user.id)) == (0, 0, AFFORDABLE + 1)


def test_concurrent_org_deductions_never_overdraw_the_org_or_touch_members(
    any_engine: Engine,
) -> None:
    owner = make_user()
    org = make_org(owner)
    credits.grant_org_credits(org.id, AFFORDABLE, description="funding")
    credits.grant_personal_credits(owner.id, 1000, description="rich member")
    outcomes = race(
        [
            lambda: credits.deduct_org_credits(org.id, 1, category="other")
            for _ in range(4 * AFFORDABLE)
        ]
    )
    assert sum(not isinstance(o, Exception) for o in outcomes) == AFFORDABLE
    assert ledger_rows(any_engine, WalletOwner.org(org.id)) == (0, 0, AFFORDABLE + 1)
    assert credits.get_personal_balance(owner.id) == 1000


def test_same_idempotency_key_from_sixteen_threads_posts_one_entry(any_engine: Engine) -> None:
    user = make_user()
    credits.grant_personal_credits(user.id, 100, description="funding")
    outcomes = race(
        [
            lambda: credits.deduct_personal_credits(
                user.id, 7, category="marketplace", idempotency_key="order-42"
            )
            for _ in range(THREADS * 2)
        ]
    )
    assert len({o.transaction_id for o in outcomes}) == 1
    assert sum(not o.replayed for o in outcomes) == 1
    assert ledger_rows(any_engine, WalletOwner.user(user.id)) == (930_000, 930_000, 2)


def test_same_key_replays_even_when_the_wallet_can_afford_it_only_once(any_engine: Engine) -> None:
    user = make_user()
    credits.grant_personal_credits(user.id, 7, description="funding")
    outcomes = race(
        [
            lambda: credits.deduct_personal_credits(
                user.id, 7, category="marketplace", idempotency_key="only-once"
            )
            for _ in range(THREADS)
        ]
    )
    assert not [o for o in outcomes if isinstance(o, Exception)]
    assert len({o.transaction_id for o in outcomes}) == 1
    assert ledger_rows(any_engine, WalletOwner.user(user.id)) == (0, 0, 2)


def test_interleaved_grants_and_deductions_keep_balance_equal_to_the_ledger(
    any_engine: Engine,
) -> None:
    user = make_user()
    credits.grant_personal_credits(user.id, 10, description="seed")
    calls: list[Callable[[], Any]] = []
    for i in range(120):
        if i % 3 == 0:
            calls.append(lambda: credits.grant_personal_credits(user.id, 2, description="top-up"))
        else:
            calls.append(lambda: credits.deduct_personal_credits(user.id, "1.25", category="other"))
    outcomes = race(calls)
    succeeded = [o for o in outcomes if not isinstance(o, Exception)]
    balance, ledger_sum, count = ledger_rows(any_engine, WalletOwner.user(user.id))
    assert balance == ledger_sum >= 0
    assert count == len(succeeded) + 1
    expected = 100_000 + sum(int(o.amount.scaleb(4)) for o in succeeded)
    assert balance == expected


@pytest.mark.postgres
def test_concurrent_deductions_on_many_wallets_do_not_deadlock(postgres_engine: Engine) -> None:
    users = [make_user() for _ in range(4)]
    for user in users:
        credits.grant_personal_credits(user.id, 50, description="funding")
    calls = [
        (lambda u=user: credits.deduct_personal_credits(u.id, 1, category="other"))
        for _ in range(10)
        for user in users
    ]
    outcomes = race(calls)
    assert all(not isinstance(o, Exception) for o in outcomes)
    for user in users:
        assert credits.get_personal_balance(user.id) == 40


@pytest.mark.postgres
def test_duplicate_that_waited_on_the_row_lock_replays_the_winner(postgres_engine: Engine) -> None:
    """B looks for the key before A commits, then hits the unique key: undo, then replay A."""
    user = make_user()
    credits.grant_personal_credits(user.id, 10, description="funding")
    request = {"category": "other", "idempotency_key": "raced"}
    with Session(postgres_engine) as session_a, session_a.begin():
        winner = credits.deduct_personal_credits(user.id, 4, session=session_a, **request)
        with ThreadPoolExecutor(1) as pool:
            loser = pool.submit(credits.deduct_personal_credits, user.id, 4, **request)
            wait_until_a_backend_waits_for_a_lock(postgres_engine)
            session_a.commit()
            result = loser.result(timeout=30)
    assert result.replayed and result.transaction_id == winner.transaction_id
    assert ledger_rows(postgres_engine, WalletOwner.user(user.id)) == (60_000, 60_000, 2)


def wait_until_a_backend_waits_for_a_lock(engine: Engine) -> None:
    """Poll pg_stat_activity until some session is blocked on a lock (bounded, no sleep-guess)."""
    with engine.connect() as connection:
        for _ in range(500):
            waiting = connection.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
            ).scalar_one()
            if waiting:
                return
            connection.rollback()
            time.sleep(0.01)
    raise AssertionError("the duplicate request never blocked on the wallet's row lock")
