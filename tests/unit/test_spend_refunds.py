"""Refunds of spending (DESIGN §3b): back into the lots the spend took, never more than spent.

Every test runs on SQLite and Postgres and checks the lot invariants afterwards.
"""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from credits_app.auth.accounts import Role, add_member
from credits_app.auth.errors import Forbidden
from credits_app.clock import frozen_at
from credits_app.credits import credit_service as credits
from credits_app.credits import lot_reads, wallet_settings
from credits_app.credits.amounts import Units
from credits_app.credits.categories import LotSource
from credits_app.credits.drafts import NewLot
from credits_app.credits.errors import IdempotencyConflict, InvalidAmount
from credits_app.credits.owners import WalletOwner
from credits_app.credits.spend_refunds import (
    AmountExceedsRefundable,
    NotRefundable,
    TransactionNotFound,
    refund_for_service,
    refund_own_spend,
)
from credits_app.notifications.inbox import list_notifications
from tests.conftest import make_org, make_user
from tests.support.lots import assert_lots_match_ledger

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
CREDIT = 10_000
DAY = timedelta(days=1)


@pytest.fixture(autouse=True)
def _database(any_engine: Engine) -> Iterator[None]:
    with frozen_at(NOW):
        yield


@pytest.fixture
def user() -> Iterator[tuple[int, WalletOwner]]:
    person = make_user("buyer")
    owner = WalletOwner.user(person.id)
    yield person.id, owner
    assert_lots_match_ledger(owner)


def spend(owner: WalletOwner, amount: int, category: str = "marketplace") -> int:
    return credits.deduct(owner, amount, category=category).transaction_id


def test_a_refund_returns_to_the_lots_last_taken_first_with_their_expiry(
    user: tuple[int, WalletOwner],
) -> None:
    user_id, owner = user
    soon, later = NOW + 5 * DAY, NOW + 30 * DAY
    credits.grant(owner, 4, description="a", lots=(NewLot(4 * CREDIT, LotSource.GRANT, soon),))
    credits.grant(owner, 6, description="b", lots=(NewLot(6 * CREDIT, LotSource.GRANT, later),))
    entry = spend(owner, 8)  # 4 from the soon lot, then 4 from the later one
    result = refund_own_spend(user_id, owner, entry, "5", reason="item not delivered")
    assert (result.refunded_amount, result.remaining_refundable, result.new_balance) == (5, 3, 7)
    refunds = [
        (lot.source, lot.remaining // CREDIT, lot.expires_at) for lot in lot_reads.list_lots(owner)
    ]
    # Later lot (taken last) gets its 4 back first, then 1 to the soon lot; expiries kept.
    assert sorted(refunds, key=str) == sorted(
        [("refund", 1, soon), ("refund", 4, later), ("grant", 2, later)], key=str
    )
    item = credits.get_history(owner).items[0]
    assert (item.type, item.category, item.metadata["refundOf"]) == ("refund", "marketplace", entry)


def test_partial_refunds_add_up_to_at_most_the_spend(user: tuple[int, WalletOwner]) -> None:
    user_id, owner = user
    credits.grant(owner, 10, description="grant")
    entry = spend(owner, 6)
    refund_own_spend(user_id, owner, entry, 2)
    refund_own_spend(user_id, owner, entry, 3)
    with pytest.raises(AmountExceedsRefundable) as refused:
        refund_own_spend(user_id, owner, entry, 2)
    assert refused.value.details["remainingRefundable"] == 1
    assert refund_own_spend(user_id, owner, entry).refunded_amount == 1  # default: all that is left
    with pytest.raises(AmountExceedsRefundable):
        refund_own_spend(user_id, owner, entry)
    assert credits.balance(owner) == 10


def test_units_of_an_expired_lot_expire_at_once(user: tuple[int, WalletOwner]) -> None:
    user_id, owner = user
    credits.grant(
        owner, 5, description="p", lots=(NewLot(5 * CREDIT, LotSource.PROMOTION, NOW + DAY),)
    )
    entry = spend(owner, 5)
    with frozen_at(NOW + 2 * DAY):
        result = refund_own_spend(user_id, owner, entry)
        assert result.expired_amount == 5 and result.new_balance == 0
        types = [item.type for item in credits.get_history(owner).items]
        assert types[:2] == ["expiry", "refund"]
        assert credits.balance(owner) == 0


def test_self_service_is_only_for_marketplace_spends_within_the_window(
    user: tuple[int, WalletOwner],
) -> None:
    user_id, owner = user
    credits.grant(owner, 10, description="grant")
    ai = spend(owner, 1, "ai_usage")
    with pytest.raises(NotRefundable):
        refund_own_spend(user_id, owner, ai)
    grant_entry = credits.get_history(owner).items[-1].id
    with pytest.raises(NotRefundable):
        refund_own_spend(user_id, owner, grant_entry)
    market = spend(owner, 2)
    with frozen_at(NOW + 15 * DAY), pytest.raises(NotRefundable):
        refund_own_spend(user_id, owner, market)
    # The service API refunds any usage entry, any age, but never a non-usage entry.
    with frozen_at(NOW + 15 * DAY):
        assert refund_for_service(market, reason="support").refunded_amount == 2
    assert refund_for_service(ai, reason="model failed").refunded_amount == 1
    with pytest.raises(NotRefundable):
        refund_for_service(grant_entry, reason="no")


def test_nobody_refunds_another_wallets_entry(user: tuple[int, WalletOwner]) -> None:
    _user_id, owner = user
    credits.grant(owner, 10, description="grant")
    entry = spend(owner, 2)
    other = make_user("other")
    with pytest.raises(TransactionNotFound):
        refund_own_spend(other.id, WalletOwner.user(other.id), entry)
    with pytest.raises(TransactionNotFound):
        refund_own_spend(other.id, owner, entry)


def test_org_refunds_are_for_owners_and_admins() -> None:
    owner = make_user("owner")
    member = make_user("member")
    org = make_org(owner, "shop")
    add_member(org.id, member.id, Role.MEMBER)
    wallet = WalletOwner.org(org.id)
    credits.grant(wallet, 10, description="grant")
    entry = spend(wallet, 4)
    with pytest.raises(Forbidden):
        refund_own_spend(member.id, wallet, entry)
    assert refund_own_spend(owner.id, wallet, entry).new_balance == 10
    assert_lots_match_ledger(wallet)


def test_refund_in_the_same_month_gives_back_monthly_spend(user: tuple[int, WalletOwner]) -> None:
    user_id, owner = user
    credits.grant(owner, 100, description="grant")
    wallet_settings.update_wallet_settings(owner, {"monthly_limit": Units(10 * CREDIT)})
    entry = spend(owner, 10)
    refund_own_spend(user_id, owner, entry, 4)
    assert wallet_settings.get_balance_overview(owner).used_this_month == 6
    spend(owner, 4)  # the refunded room is usable again


def test_a_refund_next_month_leaves_the_new_months_counter_alone(
    user: tuple[int, WalletOwner],
) -> None:
    _, owner = user
    credits.grant(owner, 100, description="grant")
    entry = spend(owner, 10)
    with frozen_at(datetime(2027, 1, 2, tzinfo=UTC)):
        spend(owner, 3)
        refund_for_service(entry, reason="late")
        assert wallet_settings.get_balance_overview(owner).used_this_month == 3


def test_idempotency_key_replays_and_conflicts(user: tuple[int, WalletOwner]) -> None:
    user_id, owner = user
    credits.grant(owner, 10, description="grant")
    entry = spend(owner, 5)
    first = refund_own_spend(user_id, owner, entry, 2, reason="r", idempotency_key="k")
    again = refund_own_spend(user_id, owner, entry, 2, reason="r", idempotency_key="k")
    assert again.replayed and again.refund_id == first.refund_id
    with pytest.raises(IdempotencyConflict):
        refund_own_spend(user_id, owner, entry, 3, reason="r", idempotency_key="k")
    assert credits.balance(owner) == 7


@pytest.mark.parametrize("amount", ["0", "-1", "1.00001"])
def test_bad_refund_amounts_are_refused(user: tuple[int, WalletOwner], amount: str) -> None:
    user_id, owner = user
    credits.grant(owner, 10, description="grant")
    entry = spend(owner, 5)
    with pytest.raises(InvalidAmount):
        refund_own_spend(user_id, owner, entry, amount)
    assert credits.balance(owner) == 5


def test_a_refund_notifies_the_wallet_owner(user: tuple[int, WalletOwner]) -> None:
    user_id, owner = user
    credits.grant(owner, 10, description="grant")
    entry = spend(owner, 4)
    refund_own_spend(user_id, owner, entry, 1)
    assert "refund.created" in [item.kind for item in list_notifications(user_id).items]
