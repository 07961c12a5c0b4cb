"""Refunds of spending (DESIGN §3b): back into the lots the spend took, never more than spent.

Every test runs on SQLite and Postgres and checks the lot invariants afterwards.
"""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, event

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
    left = [
        (lot.source, lot.remaining // CREDIT, lot.original // CREDIT, lot.expires_at)
        for lot in lot_reads.list_lots(owner)
    ]
    # The later lot (taken last) gets its 4 back first, then 1 goes back into the soon lot:
    # the same two lots, their expiry kept, no new lot.
    assert left == [("grant", 1, 4, soon), ("grant", 6, 6, later)]
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


def test_the_original_lot_gets_its_units_back_with_its_cost_basis(
    user: tuple[int, WalletOwner],
) -> None:
    user_id, owner = user
    bought = NewLot(10 * CREDIT, LotSource.PURCHASE, NOW + 90 * DAY, 40, 1000, "usd")
    credits.grant(owner, 10, description="bought", lots=(bought,))
    [lot] = lot_reads.list_lots(owner)
    entry = spend(owner, 7)
    refund_own_spend(user_id, owner, entry, 3)
    refund_own_spend(user_id, owner, entry, 4)
    [after] = lot_reads.list_lots(owner)  # still one lot: the purchase, whole again
    assert (after.id, after.source, after.remaining, after.original) == (
        lot.id,
        "purchase",
        10 * CREDIT,
        10 * CREDIT,
    )
    assert (after.expires_at, after.priority) == (NOW + 90 * DAY, 40)


def test_a_refund_returns_each_lot_at_most_what_the_spend_took_from_it(
    user: tuple[int, WalletOwner],
) -> None:
    user_id, owner = user
    credits.grant(owner, 3, description="a", lots=(NewLot(3 * CREDIT, LotSource.GRANT),))
    credits.grant(owner, 5, description="b", lots=(NewLot(5 * CREDIT, LotSource.PROMOTION),))
    first = spend(owner, 4)  # 3 from a, 1 from b (both never expire: older first)
    second = spend(owner, 2)  # 2 from b
    refund_own_spend(user_id, owner, second)
    refund_own_spend(user_id, owner, first, 1)  # b, taken last by the first spend, gets 1
    by_source = {lot.source: lot.remaining // CREDIT for lot in lot_reads.list_lots(owner)}
    assert by_source == {"promotion": 5}
    refund_own_spend(user_id, owner, first)  # the other 3 go back into a
    by_source = {lot.source: lot.remaining // CREDIT for lot in lot_reads.list_lots(owner)}
    assert by_source == {"grant": 3, "promotion": 5}


def test_units_back_in_a_partly_expired_lot_expire_and_the_lot_stays_within_its_original(
    user: tuple[int, WalletOwner],
) -> None:
    user_id, owner = user
    promo = NewLot(5 * CREDIT, LotSource.PROMOTION, NOW + DAY)
    credits.grant(owner, 5, description="p", lots=(promo,))
    credits.grant(owner, 4, description="g")
    entry = spend(owner, 3)  # from the promotion, which then expires with 2 left in it
    with frozen_at(NOW + 2 * DAY):
        result = refund_own_spend(user_id, owner, entry, 3, reason="broken")
        assert (result.expired_amount, result.new_balance) == (3, 4)
        types = [item.type for item in credits.get_history(owner).items]
        assert types[:3] == ["expiry", "refund", "expiry"]
        expired = [item for item in credits.get_history(owner).items if item.type == "expiry"]
        assert sorted(item.amount for item in expired) == [-3, -2]


def test_a_refund_passes_even_when_the_limit_was_lowered_below_the_months_spend(
    user: tuple[int, WalletOwner],
) -> None:
    user_id, owner = user
    credits.grant(owner, 100, description="grant")
    wallet_settings.update_wallet_settings(owner, {"monthly_limit": Units(10 * CREDIT)})
    entry = spend(owner, 10)
    wallet_settings.update_wallet_settings(owner, {"monthly_limit": Units(5 * CREDIT)})
    refund_own_spend(user_id, owner, entry, 4)
    assert wallet_settings.get_balance_overview(owner).used_this_month == 6
    refund_own_spend(user_id, owner, entry)
    assert wallet_settings.get_balance_overview(owner).used_this_month == 0


def test_the_refund_and_its_spend_counter_are_one_wallet_update(
    any_engine: Engine, user: tuple[int, WalletOwner]
) -> None:
    """The month's counter goes down in the refund's own guarded move (apply_move), not in a
    second UPDATE beside it."""
    user_id, owner = user
    credits.grant(owner, 10, description="grant")
    wallet_settings.update_wallet_settings(owner, {"monthly_limit": Units(8 * CREDIT)})
    entry = spend(owner, 6)
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement)

    event.listen(any_engine, "before_cursor_execute", record)
    try:
        refund_own_spend(user_id, owner, entry, 2)
    finally:
        event.remove(any_engine, "before_cursor_execute", record)
    assert sum("UPDATE wallets" in statement for statement in statements) == 1
    assert wallet_settings.get_balance_overview(owner).used_this_month == 4
