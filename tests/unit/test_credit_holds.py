"""Credit holds: reserve, settle (capped), release, expiry, and what a hold blocks.

Every test runs on SQLite and on Postgres and checks `balance == sum(ledger)` after each step:
held credits are a reservation on the wallet row, never ledger entries.
"""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, select

from credits_app.clock import frozen_at
from credits_app.credits import credit_holds
from credits_app.credits import credit_service as credits
from credits_app.credits.errors import (
    InsufficientCredits,
    InvalidArgument,
    MonthlyLimitReached,
    WalletNotFound,
)
from credits_app.credits.hold_expiry import HOLD_TTL, holds
from credits_app.credits.wallet_service import WalletOwner, entries
from credits_app.credits.wallet_settings import update_wallet_settings
from credits_app.db import unit_of_work
from tests.conftest import make_org, make_user
from tests.support.lots import assert_lots_match_ledger
from tests.support.wallets import ledger_totals, wallet_state

NOW = datetime(2026, 5, 12, 9, 30, tzinfo=UTC)
CREDIT = 10_000  # units
METADATA = {"model": "gpt-4o", "feature": "chat", "inputTokens": 10, "outputTokens": 20}


@pytest.fixture(autouse=True)
def _now(any_engine: Engine) -> Iterator[None]:
    with frozen_at(NOW):
        yield


def funded(credits_amount: int = 10) -> WalletOwner:
    user = make_user("holder")
    if credits_amount:
        credits.grant_personal_credits(user.id, credits_amount, description="funding")
    return WalletOwner.user(user.id)


def assert_consistent(owner: WalletOwner, *, balance: int, held: int) -> None:
    """The stored balance and reservation, and the ledger invariant."""
    wallet = wallet_state(owner)
    totals = ledger_totals(owner)
    assert (wallet.balance, wallet.held) == (balance, held)
    assert totals.balance == totals.ledger_sum == balance
    assert_lots_match_ledger(owner)


def hold_row(hold_id: int) -> Any:
    with unit_of_work() as db:
        return db.execute(select(holds).where(holds.c.id == hold_id)).one()


def entry_row(entry_id: int) -> Any:
    with unit_of_work() as db:
        return db.execute(select(entries).where(entries.c.id == entry_id)).one()


def settle(hold_id: int, charge_units: int) -> credit_holds.SettledHold:
    return credit_holds.settle_hold(
        hold_id, charge_units, category="ai_usage", description="chat", metadata=METADATA
    )


def test_a_hold_reserves_without_touching_balance_or_ledger() -> None:
    owner = funded(10)
    hold_id = credit_holds.place_hold(owner, 4 * CREDIT)
    assert_consistent(owner, balance=10 * CREDIT, held=4 * CREDIT)
    assert ledger_totals(owner).entry_count == 1  # just the funding
    row = hold_row(hold_id)
    assert (row.amount, row.status, row.entry_id, row.closed_at) == (
        4 * CREDIT,
        "active",
        None,
        None,
    )


def test_settle_charges_the_actual_cost_and_releases_the_rest() -> None:
    owner = funded(10)
    hold_id = credit_holds.place_hold(owner, 4 * CREDIT)
    settled = settle(hold_id, 12_345)
    assert settled.charged == 12_345
    assert settled.balance_after == 10 * CREDIT - 12_345
    assert_consistent(owner, balance=10 * CREDIT - 12_345, held=0)
    assert settled.entry_id is not None
    entry = entry_row(settled.entry_id)
    assert (entry.type, entry.category, entry.amount) == ("usage", "ai_usage", -12_345)
    assert entry.balance_after == settled.balance_after
    assert entry.metadata == METADATA  # nothing added when the charge fits the hold
    row = hold_row(hold_id)
    assert (row.status, row.entry_id) == ("settled", settled.entry_id)
    assert row.closed_at is not None


def test_settle_is_capped_at_the_hold_and_says_so_in_the_metadata() -> None:
    owner = funded(10)
    hold_id = credit_holds.place_hold(owner, 2 * CREDIT)
    settled = settle(hold_id, 3 * CREDIT + 1)
    assert settled.charged == 2 * CREDIT
    assert_consistent(owner, balance=8 * CREDIT, held=0)
    assert settled.entry_id is not None
    metadata = entry_row(settled.entry_id).metadata
    assert metadata == METADATA | {"uncappedCredits": "3.0001"}


def test_settling_nothing_posts_no_entry_and_releases_the_hold() -> None:
    owner = funded(10)
    hold_id = credit_holds.place_hold(owner, 2 * CREDIT)
    settled = settle(hold_id, 0)
    assert (settled.charged, settled.entry_id, settled.balance_after) == (0, None, 10 * CREDIT)
    assert_consistent(owner, balance=10 * CREDIT, held=0)
    assert ledger_totals(owner).entry_count == 1
    assert hold_row(hold_id).status == "settled"


def test_release_gives_everything_back_and_closes_the_hold_once() -> None:
    owner = funded(10)
    hold_id = credit_holds.place_hold(owner, 10 * CREDIT)
    credit_holds.release_hold(hold_id)
    assert_consistent(owner, balance=10 * CREDIT, held=0)
    assert ledger_totals(owner).entry_count == 1
    assert hold_row(hold_id).status == "released"
    credit_holds.release_hold(hold_id)  # a second release changes nothing
    assert_consistent(owner, balance=10 * CREDIT, held=0)
    with pytest.raises(InvalidArgument):
        settle(hold_id, 1)  # nor can a released hold be settled
    assert_consistent(owner, balance=10 * CREDIT, held=0)


def test_a_settled_hold_cannot_be_settled_or_released_again() -> None:
    owner = funded(10)
    hold_id = credit_holds.place_hold(owner, 3 * CREDIT)
    settle(hold_id, CREDIT)
    with pytest.raises(InvalidArgument):
        settle(hold_id, CREDIT)
    credit_holds.release_hold(hold_id)
    assert_consistent(owner, balance=9 * CREDIT, held=0)
    assert hold_row(hold_id).status == "settled"


def test_holds_share_the_balance_and_a_refused_hold_reserves_nothing() -> None:
    owner = funded(10)
    first = credit_holds.place_hold(owner, 6 * CREDIT)
    with pytest.raises(InsufficientCredits) as raised:
        credit_holds.place_hold(owner, 5 * CREDIT)
    assert raised.value.available == Decimal(4)
    assert raised.value.required == Decimal(5)
    assert_consistent(owner, balance=10 * CREDIT, held=6 * CREDIT)
    second = credit_holds.place_hold(owner, 4 * CREDIT)
    assert_consistent(owner, balance=10 * CREDIT, held=10 * CREDIT)
    settle(first, 6 * CREDIT)
    settle(second, 4 * CREDIT)
    assert_consistent(owner, balance=0, held=0)


def test_a_hold_makes_its_credits_unavailable_to_an_ordinary_deduction() -> None:
    owner = funded(10)
    hold_id = credit_holds.place_hold(owner, 6 * CREDIT)
    with pytest.raises(InsufficientCredits) as raised:
        credits.deduct_personal_credits(owner.id, 5, category="marketplace")
    assert raised.value.available == Decimal(4)  # balance - held
    assert raised.value.required == Decimal(5)
    assert_consistent(owner, balance=10 * CREDIT, held=6 * CREDIT)
    credits.deduct_personal_credits(owner.id, 4, category="marketplace")
    assert_consistent(owner, balance=6 * CREDIT, held=6 * CREDIT)
    settle(hold_id, 6 * CREDIT)  # the reservation is still fully there to settle
    assert_consistent(owner, balance=0, held=0)


def test_an_expired_hold_is_released_by_the_next_hold_on_the_wallet() -> None:
    owner = funded(10)
    stale = credit_holds.place_hold(owner, 10 * CREDIT)
    with frozen_at(NOW + HOLD_TTL - timedelta(seconds=1)), pytest.raises(InsufficientCredits):
        credit_holds.place_hold(owner, CREDIT)  # not expired yet
    assert_consistent(owner, balance=10 * CREDIT, held=10 * CREDIT)
    with frozen_at(NOW + HOLD_TTL + timedelta(seconds=1)):
        fresh = credit_holds.place_hold(owner, 7 * CREDIT)
    assert_consistent(owner, balance=10 * CREDIT, held=7 * CREDIT)
    assert hold_row(stale).status == "released"
    assert hold_row(fresh).status == "active"
    with pytest.raises(InvalidArgument):
        settle(stale, CREDIT)  # the crashed worker's late settle charges nothing
    assert_consistent(owner, balance=10 * CREDIT, held=7 * CREDIT)


def test_an_expired_hold_no_longer_blocks_an_ordinary_deduction() -> None:
    owner = funded(10)
    credit_holds.place_hold(owner, 10 * CREDIT)  # its worker crashed: never settled
    with frozen_at(NOW + 2 * HOLD_TTL):
        credits.deduct_personal_credits(owner.id, 1, category="marketplace")
    assert_consistent(owner, balance=9 * CREDIT, held=0)


def test_an_expired_hold_on_another_wallet_is_left_alone() -> None:
    mine, theirs = funded(10), funded(10)
    their_hold = credit_holds.place_hold(theirs, 5 * CREDIT)
    with frozen_at(NOW + 2 * HOLD_TTL):
        credit_holds.place_hold(mine, CREDIT)
    assert hold_row(their_hold).status == "active"
    assert_consistent(theirs, balance=10 * CREDIT, held=5 * CREDIT)


def test_holds_count_toward_the_monthly_limit() -> None:
    owner = funded(100)
    update_wallet_settings(owner, {"monthly_limit": 10})
    hold_id = credit_holds.place_hold(owner, 6 * CREDIT)
    with pytest.raises(MonthlyLimitReached):
        credits.deduct_personal_credits(owner.id, 5, category="ai_usage")
    with pytest.raises(MonthlyLimitReached):
        credit_holds.place_hold(owner, 5 * CREDIT)
    credits.deduct_personal_credits(owner.id, 4, category="ai_usage")  # 6 held + 4 = the limit
    assert_consistent(owner, balance=96 * CREDIT, held=6 * CREDIT)
    settle(hold_id, 6 * CREDIT)  # the reserved room is still there when it settles
    assert_consistent(owner, balance=90 * CREDIT, held=0)
    assert wallet_state(owner).spent_this_month == 10 * CREDIT
    with pytest.raises(MonthlyLimitReached):
        credit_holds.place_hold(owner, 1)


def test_a_released_hold_gives_its_room_under_the_limit_back() -> None:
    owner = funded(100)
    update_wallet_settings(owner, {"monthly_limit": 10})
    credit_holds.release_hold(credit_holds.place_hold(owner, 10 * CREDIT))
    credits.deduct_personal_credits(owner.id, 10, category="ai_usage")
    assert_consistent(owner, balance=90 * CREDIT, held=0)


def test_org_wallets_hold_and_settle_like_personal_ones() -> None:
    owner_user = make_user("org-owner")
    org = make_org(owner_user)
    credits.grant_org_credits(org.id, 5, description="funding")
    credits.grant_personal_credits(owner_user.id, 50, description="rich member")
    org_owner = WalletOwner.org(org.id)
    hold_id = credit_holds.place_hold(org_owner, 5 * CREDIT)
    with pytest.raises(InsufficientCredits):
        credit_holds.place_hold(org_owner, 1)
    settle(hold_id, 2 * CREDIT)
    assert_consistent(org_owner, balance=3 * CREDIT, held=0)
    assert_consistent(WalletOwner.user(owner_user.id), balance=50 * CREDIT, held=0)


@pytest.mark.parametrize("amount", [0, -1])
def test_a_hold_must_reserve_a_positive_amount(amount: int) -> None:
    owner = funded(10)
    with pytest.raises(InvalidArgument):
        credit_holds.place_hold(owner, amount)
    assert_consistent(owner, balance=10 * CREDIT, held=0)


def test_a_hold_on_a_missing_wallet_is_wallet_not_found() -> None:
    with pytest.raises(WalletNotFound):
        credit_holds.place_hold(WalletOwner.user(2**31 - 1), CREDIT)


def test_an_empty_wallet_cannot_hold_anything() -> None:
    owner = funded(0)
    with pytest.raises(InsufficientCredits) as raised:
        credit_holds.place_hold(owner, 1)
    assert raised.value.available == Decimal(0)
    assert_consistent(owner, balance=0, held=0)
