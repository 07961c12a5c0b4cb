"""Credit operations on a real, migrated database (SQLite, and Postgres when configured)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select

from credits_app.clock import frozen_at
from credits_app.credits import credit_service as credits
from credits_app.credits.errors import (
    IdempotencyConflict,
    InsufficientCredits,
    InvalidAmount,
    InvalidArgument,
    InvalidCategory,
    InvalidCursor,
    InvalidTransactionType,
    WalletNotFound,
)
from credits_app.credits.wallet_service import WalletOwner, entries, wallets
from credits_app.db import unit_of_work
from tests.conftest import make_org, make_user

pytestmark = pytest.mark.usefixtures("any_engine")


def ledger_count(owner: WalletOwner) -> int:
    with unit_of_work() as db:
        return db.execute(
            select(func.count())
            .select_from(entries.join(wallets, wallets.c.id == entries.c.wallet_id))
            .where(wallets.c.owner_kind == owner.kind.value, wallets.c.owner_id == owner.id)
        ).scalar_one()


def test_new_user_and_org_start_with_empty_wallets() -> None:
    user = make_user()
    org = make_org(user)
    assert credits.get_personal_balance(user.id) == Decimal("0")
    assert credits.get_org_balance(org.id) == Decimal("0")


def test_grant_then_deduct_moves_the_balance_and_reports_the_new_balance() -> None:
    user = make_user()
    granted = credits.grant_personal_credits(user.id, "100", description="Welcome")
    spent = credits.deduct_personal_credits(
        user.id, "12.3456", category="ai_usage", description="chat", metadata={"model": "m"}
    )
    assert granted.new_balance == Decimal("100")
    assert spent.amount == Decimal("-12.3456")
    assert spent.new_balance == Decimal("87.6544")
    assert credits.get_personal_balance(user.id) == Decimal("87.6544")
    assert not spent.replayed


def test_deducting_the_whole_balance_leaves_zero_and_one_unit_more_is_refused() -> None:
    user = make_user()
    credits.grant_personal_credits(user.id, "5", description="grant")
    credits.deduct_personal_credits(user.id, "5", category="other")
    with pytest.raises(InsufficientCredits) as error:
        credits.deduct_personal_credits(user.id, "0.0001", category="other")
    assert error.value.details == {"required": Decimal("0.0001"), "available": Decimal("0")}
    assert credits.get_personal_balance(user.id) == 0


def test_refused_deduction_changes_neither_balance_nor_ledger() -> None:
    user = make_user()
    credits.grant_personal_credits(user.id, "10", description="grant")
    before = ledger_count(WalletOwner.user(user.id))
    with pytest.raises(InsufficientCredits) as error:
        credits.deduct_personal_credits(user.id, "10.0001", category="marketplace")
    assert (error.value.required, error.value.available) == (Decimal("10.0001"), Decimal("10"))
    assert credits.get_personal_balance(user.id) == Decimal("10")
    assert ledger_count(WalletOwner.user(user.id)) == before


def test_personal_deduction_never_falls_back_to_a_rich_org_wallet() -> None:
    user = make_user()
    org = make_org(user)
    credits.grant_org_credits(org.id, "1000", description="org funds")
    with pytest.raises(InsufficientCredits):
        credits.deduct_personal_credits(user.id, "1", category="ai_usage")
    assert credits.get_org_balance(org.id) == Decimal("1000")
    assert ledger_count(WalletOwner.org(org.id)) == 1


def test_org_deduction_never_falls_back_to_a_rich_members_personal_wallet() -> None:
    user = make_user()
    org = make_org(user)
    credits.grant_personal_credits(user.id, "1000", description="personal funds")
    with pytest.raises(InsufficientCredits):
        credits.deduct_org_credits(org.id, "1", category="ai_usage")
    assert credits.get_personal_balance(user.id) == Decimal("1000")
    assert ledger_count(WalletOwner.user(user.id)) == 1


def test_org_deduction_spends_only_the_org_wallet() -> None:
    user = make_user()
    org = make_org(user)
    credits.grant_personal_credits(user.id, "50", description="personal")
    credits.grant_org_credits(org.id, "50", description="org")
    credits.deduct_org_credits(org.id, "20", category="subscription")
    assert credits.get_org_balance(org.id) == Decimal("30")
    assert credits.get_personal_balance(user.id) == Decimal("50")


@pytest.mark.parametrize("amount", [0, "-5", "0.00001", "1.23456", 10**13, "NaN", "x", 2.5])
def test_bad_amounts_are_refused_before_touching_the_wallet(amount: object) -> None:
    user = make_user()
    credits.grant_personal_credits(user.id, "10", description="grant")
    with pytest.raises(InvalidAmount):
        credits.deduct_personal_credits(user.id, amount, category="other")  # type: ignore[arg-type]
    with pytest.raises(InvalidAmount):
        credits.grant_personal_credits(user.id, amount, description="bad")  # type: ignore[arg-type]
    assert credits.get_personal_balance(user.id) == Decimal("10")
    assert ledger_count(WalletOwner.user(user.id)) == 1


def test_unknown_category_is_refused_with_the_allowed_values() -> None:
    user = make_user()
    credits.grant_personal_credits(user.id, "10", description="grant")
    with pytest.raises(InvalidCategory) as error:
        credits.deduct_personal_credits(user.id, "1", category="groceries")
    assert "ai_usage" in error.value.details["allowed"]
    assert credits.get_personal_balance(user.id) == Decimal("10")


def test_grant_refuses_a_debit_transaction_type() -> None:
    user = make_user()
    with pytest.raises(InvalidArgument):
        credits.grant_personal_credits(user.id, "1", description="x", type="usage")
    with pytest.raises(InvalidTransactionType):
        credits.grant_personal_credits(user.id, "1", description="x", type="gift")


def test_oversized_description_and_non_json_metadata_are_refused() -> None:
    user = make_user()
    credits.grant_personal_credits(user.id, "10", description="grant")
    with pytest.raises(InvalidArgument):
        credits.deduct_personal_credits(user.id, "1", category="other", description="x" * 501)
    with pytest.raises(InvalidArgument):
        credits.deduct_personal_credits(user.id, "1", category="other", metadata={"a": object()})
    with pytest.raises(InvalidArgument):
        credits.deduct_personal_credits(user.id, "1", category="other", metadata=["not", "dict"])  # type: ignore[arg-type]
    assert credits.get_personal_balance(user.id) == Decimal("10")


def test_wallets_of_unknown_owners_are_not_found() -> None:
    with pytest.raises(WalletNotFound):
        credits.get_personal_balance(999_999)
    with pytest.raises(WalletNotFound):
        credits.deduct_org_credits(999_999, "1", category="other")
    with pytest.raises(WalletNotFound):
        credits.grant_org_credits(999_999, "1", description="nobody")


def test_replayed_idempotency_key_returns_the_original_result_once() -> None:
    user = make_user()
    credits.grant_personal_credits(user.id, "10", description="grant")
    first = credits.deduct_personal_credits(
        user.id, "3", category="marketplace", description="bot", idempotency_key="order-1"
    )
    credits.deduct_personal_credits(user.id, "1", category="marketplace")
    again = credits.deduct_personal_credits(
        user.id, "3", category="marketplace", description="bot", idempotency_key="order-1"
    )
    assert again.transaction_id == first.transaction_id
    assert again.new_balance == first.new_balance == Decimal("7")
    assert again.replayed
    assert credits.get_personal_balance(user.id) == Decimal("6")
    assert ledger_count(WalletOwner.user(user.id)) == 3


def test_replay_is_honoured_even_when_the_wallet_could_not_pay_again() -> None:
    user = make_user()
    credits.grant_personal_credits(user.id, "3", description="grant")
    first = credits.deduct_personal_credits(user.id, "3", category="other", idempotency_key="k")
    again = credits.deduct_personal_credits(user.id, "3", category="other", idempotency_key="k")
    assert again.transaction_id == first.transaction_id


@pytest.mark.parametrize(
    "changed",
    [
        {"amount": "4"},
        {"category": "premium_feature"},
        {"description": "other text"},
        {"metadata": {"x": 2}},
    ],
)
def test_same_idempotency_key_with_a_different_request_conflicts(changed: dict) -> None:
    user = make_user()
    credits.grant_personal_credits(user.id, "10", description="grant")
    request = {"amount": "3", "category": "other", "description": "d", "metadata": {"x": 1}}
    credits.deduct_personal_credits(user.id, idempotency_key="key-1", **request)
    with pytest.raises(IdempotencyConflict):
        credits.deduct_personal_credits(user.id, idempotency_key="key-1", **(request | changed))
    assert credits.get_personal_balance(user.id) == Decimal("7")


def test_idempotency_keys_are_scoped_to_one_wallet() -> None:
    alice, bob = make_user("alice"), make_user("bob")
    for user in (alice, bob):
        credits.grant_personal_credits(user.id, "5", description="grant")
        credits.deduct_personal_credits(user.id, "2", category="other", idempotency_key="same")
    assert credits.get_personal_balance(alice.id) == credits.get_personal_balance(bob.id) == 3


def test_grant_with_idempotency_key_is_applied_once() -> None:
    user = make_user()
    for _ in range(3):
        result = credits.grant_personal_credits(
            user.id, "25", description="Promo", type="adjustment", idempotency_key="promo-1"
        )
    assert result.replayed
    assert credits.get_personal_balance(user.id) == Decimal("25")


def test_history_lists_newest_first_with_signed_amounts_and_running_balance() -> None:
    user = make_user()
    credits.grant_personal_credits(user.id, "10", description="grant", metadata={"by": "test"})
    credits.deduct_personal_credits(user.id, "2.5", category="ai_usage", description="chat")
    page = credits.get_history(WalletOwner.user(user.id))
    assert [(i.type, i.category, i.amount, i.balance_after) for i in page.items] == [
        ("usage", "ai_usage", Decimal("-2.5"), Decimal("7.5")),
        ("grant", None, Decimal("10"), Decimal("10")),
    ]
    assert page.items[1].metadata == {"by": "test"}
    assert page.items[0].created_at.tzinfo is not None
    assert page.next_cursor is None


def test_history_cursor_walks_every_entry_exactly_once_even_with_equal_timestamps() -> None:
    user = make_user()
    owner = WalletOwner.user(user.id)
    credits.grant_personal_credits(user.id, "100", description="grant")
    with frozen_at(datetime(2026, 1, 1, tzinfo=UTC)):
        for _ in range(7):
            credits.deduct_personal_credits(user.id, "1", category="other")
    seen: list[int] = []
    cursor = None
    while True:
        page = credits.get_history(owner, limit=3, cursor=cursor)
        seen += [item.id for item in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert len(seen) == len(set(seen)) == 8


def test_history_filters_by_type_and_category() -> None:
    user = make_user()
    credits.grant_personal_credits(user.id, "100", description="grant")
    credits.deduct_personal_credits(user.id, "1", category="ai_usage")
    credits.deduct_personal_credits(user.id, "2", category="marketplace")
    owner = WalletOwner.user(user.id)
    assert [i.amount for i in credits.get_history(owner, category="marketplace").items] == [-2]
    assert [i.type for i in credits.get_history(owner, type="grant").items] == ["grant"]
    assert credits.get_history(owner, type="usage", category="premium_feature").items == []


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ({"limit": 0}, InvalidArgument),
        ({"limit": 101}, InvalidArgument),
        ({"cursor": "garbage!"}, InvalidCursor),
        ({"cursor": "WyJ4IiwxXQ"}, InvalidCursor),  # ["x",1]
        ({"type": "nope"}, InvalidTransactionType),
        ({"category": "nope"}, InvalidCategory),
    ],
)
def test_history_refuses_bad_arguments(arguments: dict, error: type[Exception]) -> None:
    user = make_user()
    with pytest.raises(error):
        credits.get_history(WalletOwner.user(user.id), **arguments)


def test_usage_sums_spending_per_day_and_category_and_ignores_grants() -> None:
    user = make_user()
    now = datetime(2026, 3, 10, 12, tzinfo=UTC)
    with frozen_at(now - timedelta(days=5)):
        credits.grant_personal_credits(user.id, "100", description="grant")
    with frozen_at(now - timedelta(days=2)):
        credits.deduct_personal_credits(user.id, "4", category="ai_usage")
        credits.deduct_personal_credits(user.id, "1.5", category="marketplace")
    with frozen_at(now):
        credits.deduct_personal_credits(user.id, "0.25", category="ai_usage")
        report = credits.get_usage(WalletOwner.user(user.id), days=7)
    assert report.total_used == Decimal("5.75")
    assert report.by_category["ai_usage"] == Decimal("4.25")
    assert report.by_category["marketplace"] == Decimal("1.5")
    assert report.by_category["subscription"] == 0
    assert report.daily[0].date.isoformat() == "2026-03-04"
    assert len(report.daily) == 7
    by_day = {d.date.isoformat(): d for d in report.daily}
    assert by_day["2026-03-08"].total == Decimal("5.5")
    assert by_day["2026-03-08"].by_category["marketplace"] == Decimal("1.5")
    assert by_day["2026-03-10"].total == Decimal("0.25")
    assert sum(d.total for d in report.daily) == report.total_used


def test_usage_excludes_days_outside_the_window() -> None:
    user = make_user()
    now = datetime(2026, 3, 10, 12, tzinfo=UTC)
    credits.grant_personal_credits(user.id, "100", description="grant")
    with frozen_at(now - timedelta(days=7)):
        credits.deduct_personal_credits(user.id, "9", category="other")
    with frozen_at(now):
        assert credits.get_usage(WalletOwner.user(user.id), days=7).total_used == 0
        assert credits.get_usage(WalletOwner.user(user.id), days=8).total_used == 9


@pytest.mark.parametrize("days", [0, 367, -1])
def test_usage_refuses_out_of_range_days(days: int) -> None:
    user = make_user()
    with pytest.raises(InvalidArgument):
        credits.get_usage(WalletOwner.user(user.id), days=days)


def test_operations_compose_in_one_caller_transaction_and_roll_back_together() -> None:
    user = make_user()
    credits.grant_personal_credits(user.id, "10", description="grant")
    with pytest.raises(InsufficientCredits), unit_of_work() as session:
        credits.grant_personal_credits(user.id, "5", description="bonus", session=session)
        credits.deduct_personal_credits(user.id, "100", category="other", session=session)
    assert credits.get_personal_balance(user.id) == Decimal("10")
    assert ledger_count(WalletOwner.user(user.id)) == 1


def test_balance_always_equals_the_sum_of_ledger_entries(any_engine: Engine) -> None:
    user = make_user()
    credits.grant_personal_credits(user.id, "10", description="grant")
    credits.deduct_personal_credits(user.id, "3.3333", category="other")
    with any_engine.connect() as connection:
        total = connection.execute(
            select(func.sum(entries.c.amount))
            .select_from(entries.join(wallets, wallets.c.id == entries.c.wallet_id))
            .where(wallets.c.owner_id == user.id, wallets.c.owner_kind == "user")
        ).scalar_one()
    assert Decimal(total).scaleb(-4) == credits.get_personal_balance(user.id)


def test_ai_metadata_keys_are_checked_only_on_ai_usage_entries() -> None:
    """`feature`, `model` and token keys mean something only on AI charges: a premium feature
    may name its own `feature`, while an `ai_usage` charge with a bad one is still refused."""
    user = make_user()
    credits.grant_personal_credits(user.id, "10", description="grant")
    premium = credits.deduct_personal_credits(
        user.id, "1", category="premium_feature", metadata={"feature": "x", "model": ""}
    )
    assert premium.new_balance == Decimal("9")
    with pytest.raises(InvalidArgument):
        credits.deduct_personal_credits(
            user.id, "1", category="ai_usage", metadata={"feature": "x"}
        )
    with pytest.raises(InvalidArgument):
        credits.deduct_personal_credits(
            user.id, "1", category="ai_usage", metadata={"inputTokens": "x"}
        )
    assert credits.get_personal_balance(user.id) == Decimal("9")
