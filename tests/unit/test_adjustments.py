"""Operator adjustments: signed, reasoned corrections that never take a wallet below zero."""

from decimal import Decimal

import pytest
from sqlalchemy import Engine

from credits_app.credits import credit_service as credits
from credits_app.credits.adjustments import (
    MAX_REASON_LENGTH,
    adjust_org_credits,
    adjust_personal_credits,
    operator_description,
    operator_metadata,
    parse_signed_credits,
)
from credits_app.credits.amounts import AmountInput
from credits_app.credits.errors import (
    InsufficientCredits,
    InvalidAmount,
    InvalidArgument,
    WalletNotFound,
)
from credits_app.credits.ledger_counts import count_entries
from credits_app.credits.wallet_service import MAX_DESCRIPTION_LENGTH, WalletOwner
from credits_app.db import unit_of_work
from tests.conftest import make_org, make_user


def funded_user(credits_amount: str = "100") -> int:
    user = make_user("adjusted")
    credits.grant_personal_credits(user.id, credits_amount, description="funding")
    return user.id


def ledger_sum(owner: WalletOwner) -> Decimal:
    """The sum of the wallet's entries, to check balance == sum(ledger) (DESIGN §3)."""
    items = credits.get_history(owner, limit=100).items
    return sum((item.amount for item in items), Decimal(0))


@pytest.mark.parametrize(
    ("value", "units"),
    [
        ("-12.5", -125_000),
        ("+3", 30_000),
        ("7", 70_000),
        (" -0.0001 ", -1),
        (Decimal("-2.5"), -25_000),
        (-3, -30_000),
        (4, 40_000),
    ],
)
def test_signed_amounts_parse_exactly(value: AmountInput, units: int) -> None:
    assert parse_signed_credits(value) == units


@pytest.mark.parametrize(
    "value", ["0", "-0", "--5", "+-5", "-+5", "- 5", "abc", "", "-", "1.00001", "-NaN", 1.5, True]
)
def test_zero_malformed_and_float_amounts_are_refused(value: object) -> None:
    with pytest.raises(InvalidAmount):
        parse_signed_credits(value)  # type: ignore[arg-type]


def test_operator_metadata_requires_a_reason_and_an_operator() -> None:
    assert operator_metadata("  typo fix ", " alice ") == {
        "reason": "typo fix",
        "operator": "alice",
    }
    for reason, operator in [("", "alice"), ("   ", "alice"), ("why", ""), ("why", "x" * 201)]:
        with pytest.raises(InvalidArgument):
            operator_metadata(reason, operator)
    with pytest.raises(InvalidArgument):
        operator_metadata("x" * (MAX_REASON_LENGTH + 1), "alice")


def test_long_reasons_are_cut_in_the_description_only() -> None:
    reason = "r" * MAX_REASON_LENGTH
    description = operator_description("Operator adjustment", reason)
    assert len(description) == MAX_DESCRIPTION_LENGTH
    assert description.endswith("…")
    assert operator_description("Operator grant", "short") == "Operator grant: short"


def test_positive_and_negative_adjustments_post_adjustment_entries(any_engine: Engine) -> None:
    user_id = funded_user("100")
    up = adjust_personal_credits(user_id, "+5", reason="missed bonus", operator="alice")
    down = adjust_personal_credits(user_id, "-12.5", reason="double grant", operator="bob")
    assert (up.amount, up.new_balance) == (Decimal("5"), Decimal("105"))
    assert (down.amount, down.new_balance) == (Decimal("-12.5"), Decimal("92.5"))
    owner = WalletOwner.user(user_id)
    newest = credits.get_history(owner, type="adjustment", limit=10).items
    assert [item.id for item in newest] == [down.transaction_id, up.transaction_id]
    assert newest[0].metadata == {"reason": "double grant", "operator": "bob"}
    assert newest[0].description == "Operator adjustment: double grant"
    assert newest[0].category is None
    assert credits.get_personal_balance(user_id) == ledger_sum(owner) == Decimal("92.5")


def test_negative_adjustment_past_zero_is_refused_and_writes_nothing(any_engine: Engine) -> None:
    user_id = funded_user("10")
    owner = WalletOwner.user(user_id)
    with pytest.raises(InsufficientCredits):
        adjust_personal_credits(user_id, "-10.0001", reason="clawback", operator="alice")
    assert credits.get_personal_balance(user_id) == Decimal("10")
    assert count_entries(owner) == 1
    emptied = adjust_personal_credits(user_id, "-10", reason="clawback", operator="alice")
    assert emptied.new_balance == Decimal("0")


def test_blank_reason_is_refused_before_anything_is_written(any_engine: Engine) -> None:
    user_id = funded_user()
    with pytest.raises(InvalidArgument):
        adjust_personal_credits(user_id, "5", reason="  ", operator="alice")
    assert count_entries(WalletOwner.user(user_id)) == 1


def test_org_adjustment_moves_only_the_org_wallet(any_engine: Engine) -> None:
    owner = make_user("owner")
    org = make_org(owner)
    credits.grant_org_credits(org.id, "50", description="starter")
    result = adjust_org_credits(org.id, "-20", reason="refunded offline", operator="ops")
    assert result.new_balance == Decimal("30")
    assert credits.get_org_balance(org.id) == Decimal("30")
    assert credits.get_personal_balance(owner.id) == Decimal("0")
    with pytest.raises(InsufficientCredits):
        adjust_org_credits(org.id, "-30.0001", reason="too much", operator="ops")


def test_idempotency_key_applies_an_adjustment_once(any_engine: Engine) -> None:
    user_id = funded_user()
    first = adjust_personal_credits(
        user_id, "-1", reason="fee", operator="ops", idempotency_key="adj-1"
    )
    again = adjust_personal_credits(
        user_id, "-1", reason="fee", operator="ops", idempotency_key="adj-1"
    )
    assert again.replayed and again.transaction_id == first.transaction_id
    assert credits.get_personal_balance(user_id) == Decimal("99")


def test_adjustment_joins_the_callers_transaction(any_engine: Engine) -> None:
    user_id = funded_user()
    with pytest.raises(RuntimeError), unit_of_work() as db:
        adjust_personal_credits(user_id, "-40", reason="batch", operator="ops", session=db)
        raise RuntimeError("the caller's batch failed")
    assert credits.get_personal_balance(user_id) == Decimal("100")
    assert count_entries(WalletOwner.user(user_id)) == 1


def test_unknown_owner_has_no_wallet(any_engine: Engine) -> None:
    with pytest.raises(WalletNotFound):
        adjust_personal_credits(10**9, "5", reason="x", operator="ops")
