"""A service deduction claims its key with its own insert (the unique index of migration 0012):
no advisory lock, no key query first, and still one entry per key across every wallet."""

import uuid
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select

from credits_app.credits import credit_service as credits
from credits_app.credits.errors import IdempotencyConflict, InsufficientCredits
from credits_app.credits.service_deductions import SERVICE_KEY_PREFIX, deduct_for_service
from credits_app.credits.wallet_service import WalletOwner, entries
from tests.conftest import make_user
from tests.support.races import race

pytestmark = pytest.mark.usefixtures("any_engine")


def funded(balance: str = "100") -> WalletOwner:
    user = make_user("claim")
    credits.grant_personal_credits(user.id, balance, description="funding")
    return WalletOwner.user(user.id)


def entries_with(key: str) -> int:
    from credits_app.db import unit_of_work

    with unit_of_work() as db:
        return int(
            db.execute(
                select(func.count()).where(entries.c.idempotency_key == SERVICE_KEY_PREFIX + key)
            ).scalar_one()
        )


def test_one_key_raced_on_eight_wallets_posts_exactly_one_entry(any_engine: Engine) -> None:
    key = f"race-{uuid.uuid4().hex}"
    owners = [funded() for _ in range(8)]
    calls = [
        (lambda owner=owner: deduct_for_service(owner, "1", category="other", idempotency_key=key))
        for owner in owners
        for _ in range(2)
    ]
    outcomes = race(calls, expected=IdempotencyConflict, threads=16)
    posted = [o for o in outcomes if not isinstance(o, IdempotencyConflict)]
    assert entries_with(key) == 1
    assert len({o.transaction_id for o in posted}) == 1  # the winner and its replays
    assert all(o.details == {"idempotencyKey": key} for o in outcomes if isinstance(o, Exception))


def test_a_key_of_another_wallet_is_a_conflict_even_where_the_wallet_is_short() -> None:
    key = f"short-{uuid.uuid4().hex}"
    deduct_for_service(funded(), "5", category="other", idempotency_key=key)
    with pytest.raises(IdempotencyConflict):
        deduct_for_service(funded("1"), "5", category="other", idempotency_key=key)
    with pytest.raises(InsufficientCredits):  # a fresh key on the short wallet: still a 402
        deduct_for_service(funded("1"), "5", category="other", idempotency_key=key + "-new")


def test_a_service_deduction_is_the_wallet_lock_and_one_move_statement(any_engine: Engine) -> None:
    owner = funded()
    deduct_for_service(owner, "1", category="other", idempotency_key=uuid.uuid4().hex)  # warm
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(any_engine, "before_cursor_execute", record)
    try:
        deduct_for_service(owner, "1", category="other", idempotency_key=uuid.uuid4().hex)
    finally:
        event.remove(any_engine, "before_cursor_execute", record)
    sql = [" ".join(s.split()) for s in statements if not s.startswith(("BEGIN", "PRAGMA"))]
    assert not any("advisory" in s for s in sql)
    assert not any(s.startswith("SELECT wallets.owner_kind") for s in sql), sql  # no key query
    if any_engine.dialect.name == "postgresql":
        assert len(sql) == 2, sql  # the wallet lock (FOR UPDATE) and the move
        assert "FOR UPDATE" in sql[0] and sql[1].startswith("WITH")
