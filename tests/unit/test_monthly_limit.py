"""The monthly spending limit, enforced inside the guarded balance move (ledger_sql._MOVE_BALANCE).

Only `usage` entries count as spending; the month is the UTC calendar month of the entry's
timestamp (placed with `frozen_at`); a refused deduction writes nothing and says why.
"""

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine

from credits_app.clock import frozen_at
from credits_app.credits import credit_service as credits
from credits_app.credits.adjustments import adjust_personal_credits
from credits_app.credits.amounts import AmountInput
from credits_app.credits.errors import InsufficientCredits, MonthlyLimitReached
from credits_app.credits.wallet_service import WalletOwner
from credits_app.credits.wallet_settings import get_balance_overview, update_wallet_settings
from tests.conftest import make_org, make_user
from tests.support.wallets import ledger_totals, usage_units_in_month, wallet_state

OCTOBER = datetime(2026, 10, 15, 12, tzinfo=UTC)
NOVEMBER = datetime(2026, 11, 3, 9, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _october(any_engine: Engine) -> Iterator[None]:
    """Every test starts mid-October 2026 (UTC) unless it moves the clock itself."""
    with frozen_at(OCTOBER):
        yield


def funded_user(balance: AmountInput = "100", limit: AmountInput | None = None) -> WalletOwner:
    user = make_user("limited")
    credits.grant_personal_credits(user.id, balance, description="funding")
    owner = WalletOwner.user(user.id)
    if limit is not None:
        update_wallet_settings(owner, {"monthly_limit": limit})
    return owner


def spend(owner: WalletOwner, amount: AmountInput, **options: Any) -> credits.CreditResult:
    return credits.deduct_personal_credits(owner.id, amount, category="ai_usage", **options)


def spent_units(owner: WalletOwner) -> int:
    return wallet_state(owner).spent_this_month


def test_deduction_within_the_limit_passes_and_counts() -> None:
    owner = funded_user(limit="10")
    result = spend(owner, "4")
    assert result.new_balance == Decimal("96")
    state = wallet_state(owner)
    assert (state.spend_month, state.spent_this_month) == (date(2026, 10, 1), 40_000)
    assert get_balance_overview(owner).used_this_month == Decimal("4")


def test_deduction_that_would_pass_the_limit_is_refused_and_writes_nothing() -> None:
    owner = funded_user(limit="10")
    spend(owner, "6")
    before = ledger_totals(owner)
    with pytest.raises(MonthlyLimitReached) as refused:
        spend(owner, "4.0001")
    assert refused.value.code == "monthly_limit_reached"
    assert refused.value.details == {
        "required": Decimal("4.0001"),
        "monthlyLimit": Decimal("10"),
        "usedThisMonth": Decimal("6"),
    }
    assert ledger_totals(owner) == before
    assert before.balance == before.ledger_sum == 940_000
    assert spent_units(owner) == 60_000


def test_a_deduction_reaching_the_limit_exactly_passes_and_the_next_unit_does_not() -> None:
    owner = funded_user(limit="10")
    spend(owner, "6")
    assert spend(owner, "4").new_balance == Decimal("90")
    assert spent_units(owner) == 100_000
    with pytest.raises(MonthlyLimitReached):
        spend(owner, "0.0001")
    assert ledger_totals(owner).entry_count == 3


def test_credits_and_non_usage_debits_do_not_count_as_spending() -> None:
    owner = funded_user(limit="5")
    for entry_type in ("grant", "purchase", "refund", "adjustment"):
        credits.grant_personal_credits(owner.id, "3", description=entry_type, type=entry_type)
    adjust_personal_credits(owner.id, "-2", reason="correction", operator="ops")
    assert spent_units(owner) == 0
    spend(owner, "5")
    # The limit is about spending: an operator's debit is not refused by it.
    adjust_personal_credits(owner.id, "-1", reason="correction", operator="ops")
    assert spent_units(owner) == 50_000
    assert usage_units_in_month(owner, date(2026, 10, 1)) == 50_000
    assert ledger_totals(owner).balance == (100 + 12 - 2 - 5 - 1) * 10_000


def test_a_non_usage_debit_short_of_balance_is_insufficient_even_past_the_limit() -> None:
    """Regression: the refusal used to be explained as `MonthlyLimitReached` once the month's
    spending exceeded a lowered limit, although the limit never applies to non-usage debits."""
    owner = funded_user(balance="10", limit="10")
    spend(owner, "8")
    update_wallet_settings(owner, {"monthly_limit": "5"})
    with pytest.raises(InsufficientCredits) as refused:
        adjust_personal_credits(owner.id, "-3", reason="clawback", operator="ops")
    assert refused.value.details == {"required": Decimal("3"), "available": Decimal("2")}


def test_a_new_utc_month_starts_from_zero() -> None:
    owner = funded_user(limit="10")
    last_moment = datetime(2026, 10, 31, 23, 59, 59, 999_999, tzinfo=UTC)
    with frozen_at(last_moment):
        spend(owner, "10")
        with pytest.raises(MonthlyLimitReached):
            spend(owner, "1")
    # 00:30 on 1 November in UTC+2 is still October in UTC.
    with frozen_at(datetime(2026, 11, 1, 0, 30, tzinfo=timezone(timedelta(hours=2)))):
        with pytest.raises(MonthlyLimitReached):
            spend(owner, "1")
        assert get_balance_overview(owner).used_this_month == Decimal("10")
    with frozen_at(datetime(2026, 11, 1, tzinfo=UTC)):
        assert get_balance_overview(owner).used_this_month == 0  # before any November spend
        spend(owner, "10")
    state = wallet_state(owner)
    assert (state.spend_month, state.spent_this_month) == (date(2026, 11, 1), 100_000)
    assert usage_units_in_month(owner, date(2026, 10, 1)) == 100_000
    assert usage_units_in_month(owner, date(2026, 11, 1)) == 100_000


def test_a_new_month_starts_from_zero_across_the_year_end() -> None:
    owner = funded_user(limit="2")
    with frozen_at(datetime(2026, 12, 31, 23, tzinfo=UTC)):
        spend(owner, "2")
    with frozen_at(datetime(2027, 1, 1, 1, tzinfo=UTC)):
        spend(owner, "2")
        with pytest.raises(MonthlyLimitReached):
            spend(owner, "2")
    assert wallet_state(owner).spend_month == date(2027, 1, 1)


def test_a_grant_in_a_new_month_also_starts_the_count_from_zero() -> None:
    owner = funded_user(limit="10")
    spend(owner, "7")
    with frozen_at(NOVEMBER):
        credits.grant_personal_credits(owner.id, "1", description="top-up")
        state = wallet_state(owner)
        assert (state.spend_month, state.spent_this_month) == (date(2026, 11, 1), 0)
        spend(owner, "10")


def test_a_backdated_entry_neither_moves_the_month_back_nor_counts_into_it() -> None:
    owner = funded_user(limit="10")
    with frozen_at(NOVEMBER):
        spend(owner, "3")
    spend(owner, "4")  # backdated into October (the fixture's clock)
    state = wallet_state(owner)
    assert (state.spend_month, state.spent_this_month) == (date(2026, 11, 1), 30_000)
    with frozen_at(NOVEMBER):
        assert get_balance_overview(owner).used_this_month == Decimal("3")
        spend(owner, "7")
        with pytest.raises(MonthlyLimitReached):
            spend(owner, "0.0001")
    assert usage_units_in_month(owner, date(2026, 10, 1)) == 40_000
    assert usage_units_in_month(owner, date(2026, 11, 1)) == 100_000


def test_a_backdated_spend_is_judged_against_the_limit_alone() -> None:
    """Current behaviour: once the wallet moved to a later month, an earlier month's total is no
    longer kept, so a backdated spend only has to fit under the limit by itself."""
    owner = funded_user(limit="10")
    spend(owner, "9")
    with frozen_at(NOVEMBER):
        spend(owner, "1")
    spend(owner, "9")  # October again: 18 in October, but only the single spend is checked
    with pytest.raises(MonthlyLimitReached) as refused:
        spend(owner, "10.0001")
    assert refused.value.details["usedThisMonth"] == 0
    assert wallet_state(owner).spent_this_month == 10_000


def test_clearing_the_limit_lifts_it_and_spending_is_still_counted() -> None:
    owner = funded_user(limit="5")
    spend(owner, "5")
    with pytest.raises(MonthlyLimitReached):
        spend(owner, "1")
    update_wallet_settings(owner, {"monthly_limit": None})
    spend(owner, "20")
    assert spent_units(owner) == 250_000
    update_wallet_settings(owner, {"monthly_limit": "26"})
    spend(owner, "1")
    with pytest.raises(MonthlyLimitReached):
        spend(owner, "0.0001")


def test_lowering_the_limit_below_what_was_spent_blocks_further_spending() -> None:
    owner = funded_user(limit="10")
    spend(owner, "8")
    update_wallet_settings(owner, {"monthly_limit": "5"})
    with pytest.raises(MonthlyLimitReached) as refused:
        spend(owner, "0.0001")
    assert refused.value.details == {
        "required": Decimal("0.0001"),
        "monthlyLimit": Decimal("5"),
        "usedThisMonth": Decimal("8"),
    }
    assert get_balance_overview(owner).used_this_month == Decimal("8")
    assert ledger_totals(owner).entry_count == 2


@pytest.mark.parametrize(
    ("balance", "limit", "amount", "error"),
    [
        ("3", "5", "6", MonthlyLimitReached),  # both exceeded: the limit wins
        ("3", "5", "4", InsufficientCredits),  # within the limit, short of balance
        ("10", "5", "6", MonthlyLimitReached),  # affordable, past the limit
        ("3", None, "4", InsufficientCredits),  # no limit at all
    ],
)
def test_limit_and_balance_refusals_name_the_right_reason(
    balance: str, limit: str | None, amount: str, error: type[Exception]
) -> None:
    owner = funded_user(balance=balance, limit=limit)
    with pytest.raises(error):
        spend(owner, amount)
    assert ledger_totals(owner).balance == int(balance) * 10_000
    assert spent_units(owner) == 0


def test_an_idempotent_replay_is_not_counted_twice_and_is_honoured_at_the_limit() -> None:
    owner = funded_user(limit="10")
    first = spend(owner, "6", idempotency_key="chat-1")
    again = spend(owner, "6", idempotency_key="chat-1")
    assert again.replayed and again.transaction_id == first.transaction_id
    assert spent_units(owner) == 60_000
    spend(owner, "4")
    late = spend(owner, "6", idempotency_key="chat-1")  # the limit is full, but this was paid
    assert late.transaction_id == first.transaction_id
    assert spent_units(owner) == 100_000
    assert ledger_totals(owner).entry_count == 3


def test_org_and_personal_limits_are_separate() -> None:
    owner = funded_user(limit="1")
    org = make_org(make_user("boss"))
    credits.grant_org_credits(org.id, "50", description="funding")
    org_owner = WalletOwner.org(org.id)
    credits.deduct_org_credits(org.id, "30", category="other")
    assert wallet_state(org_owner).spent_this_month == 300_000
    assert spent_units(owner) == 0
    update_wallet_settings(org_owner, {"monthly_limit": "30"})
    with pytest.raises(MonthlyLimitReached):
        credits.deduct_org_credits(org.id, "1", category="other")
    spend(owner, "1")
