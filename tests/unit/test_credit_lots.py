"""Credit lots (DESIGN §3b): consumption order, expiry, pinned holds, clawback and bonus lots.

Every test runs on SQLite and Postgres and checks the lot invariants after it
(`tests/support/lots.py`): balance == sum(entries) == sum(lot remaining), and every unit of
every lot explained by the entries that took it.
"""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select, text

from credits_app.clock import frozen_at
from credits_app.credits import credit_holds, lot_reads
from credits_app.credits import credit_service as credits
from credits_app.credits.adjustments import adjust
from credits_app.credits.amounts import Units, units_to_credits
from credits_app.credits.categories import LotSource, TransactionType
from credits_app.credits.clawback import take_back
from credits_app.credits.drafts import NewLot
from credits_app.credits.errors import InsufficientCredits, InvalidExpiry
from credits_app.credits.lot_expiry import expire_due_lots, sweep_expired_lots
from credits_app.credits.owners import WalletOwner
from credits_app.credits.wallet_service import entries, require_wallet
from credits_app.credits.wallet_settings import get_balance_overview
from credits_app.db import unit_of_work
from tests.conftest import make_user
from tests.support.lots import assert_lots_match_ledger

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
CREDIT = 10_000
DAY = timedelta(days=1)


@pytest.fixture(autouse=True)
def _database(any_engine: Engine) -> Iterator[None]:
    with frozen_at(NOW):
        yield


@pytest.fixture
def owner() -> Iterator[WalletOwner]:
    wallet = WalletOwner.user(make_user("lots").id)
    yield wallet
    assert_lots_match_ledger(wallet)


def give(
    owner: WalletOwner, amount: int, *, expires_in: timedelta | None = None, priority: int = 50
) -> int:
    """Grant `amount` credits as one lot; its id."""
    expires_at = NOW + expires_in if expires_in else None
    lot = NewLot(amount * CREDIT, LotSource.GRANT, expires_at, priority)
    result = credits.grant(owner, amount, description="grant", lots=(lot,))
    assert result.lot_id is not None
    return result.lot_id


def remaining(owner: WalletOwner) -> dict[int, int]:
    """Credits left per lot id (lots with nothing left or expired are not listed)."""
    return {lot.id: lot.remaining // CREDIT for lot in lot_reads.list_lots(owner)}


def entry_types(owner: WalletOwner) -> list[tuple[str, int]]:
    with unit_of_work() as db:
        wallet = require_wallet(db, owner)
        rows = db.execute(
            select(entries.c.type, entries.c.amount)
            .where(entries.c.wallet_id == wallet.id)
            .order_by(entries.c.id)
        ).all()
    return [(kind, amount // CREDIT) for kind, amount in rows]


def test_soonest_expiry_is_spent_first_and_never_expiring_last(owner: WalletOwner) -> None:
    forever = give(owner, 10)
    later = give(owner, 10, expires_in=30 * DAY)
    sooner = give(owner, 10, expires_in=7 * DAY)
    credits.deduct(owner, 15, category="other")
    assert remaining(owner) == {later: 5, forever: 10}
    assert sooner not in remaining(owner)


def test_equal_priorities_spend_the_sooner_expiry_first_autumn_2508(owner: WalletOwner) -> None:
    """useautumn/autumn#2508: with equal priorities the later-expiring balance went first."""
    later = give(owner, 10, expires_in=60 * DAY, priority=10)
    sooner = give(owner, 10, expires_in=5 * DAY, priority=10)
    credits.deduct(owner, 4, category="other")
    assert remaining(owner) == {sooner: 6, later: 10}


def test_priority_then_age_order_lots_with_the_same_expiry(owner: WalletOwner) -> None:
    older = give(owner, 5)
    low = give(owner, 5, priority=10)
    newer = give(owner, 5)
    credits.deduct(owner, 7, category="other")
    assert remaining(owner) == {older: 3, newer: 5}
    assert low not in remaining(owner)


def test_lots_list_in_consumption_order(owner: WalletOwner) -> None:
    forever = give(owner, 1)
    later = give(owner, 1, expires_in=9 * DAY)
    sooner = give(owner, 1, expires_in=2 * DAY)
    assert [lot.id for lot in lot_reads.list_lots(owner)] == [sooner, later, forever]


def test_an_expired_lot_is_not_spendable_before_any_sweep_vm0_10299(owner: WalletOwner) -> None:
    """vm0-ai/vm0#10299: expired credits stayed spendable until a daily sweep ran."""
    give(owner, 10, expires_in=DAY)
    with frozen_at(NOW + DAY + timedelta(seconds=1)):
        assert credits.balance(owner) == 0
        with pytest.raises(InsufficientCredits):
            credits.deduct(owner, 1, category="other")
        # The refused write still expired the lot in its own transaction... then rolled back:
        # the balance read keeps not counting it until a write or the sweep commits the entry.
        assert credits.balance(owner) == 0


def test_a_write_expires_due_lots_first_in_one_entry_per_lot(owner: WalletOwner) -> None:
    give(owner, 10, expires_in=DAY)
    give(owner, 5)
    with frozen_at(NOW + 2 * DAY):
        credits.deduct(owner, 2, category="other")
        credits.deduct(owner, 1, category="other")
    assert entry_types(owner) == [
        ("grant", 10),
        ("grant", 5),
        ("expiry", -10),
        ("usage", -2),
        ("usage", -1),
    ]


def test_the_sweep_expires_idle_wallets_exactly_once(owner: WalletOwner) -> None:
    lot = give(owner, 10, expires_in=DAY)
    give(owner, 3)
    with frozen_at(NOW + 2 * DAY):
        with unit_of_work() as db:
            first = expire_due_lots(db)
        assert first.lots >= 1  # (the Postgres database is shared with other tests' wallets)
        assert sweep_expired_lots().lots == 0  # nothing left to do
        credits.deduct(owner, 1, category="other")  # a write finds nothing due either
    assert entry_types(owner) == [("grant", 10), ("grant", 3), ("expiry", -10), ("usage", -1)]
    with unit_of_work() as db:
        metadata = db.execute(
            select(entries.c.metadata).where(
                entries.c.type == "expiry", entries.c.idempotency_key == f"lot-expiry:{lot}"
            )
        ).scalar_one()
    assert metadata["lotId"] == lot and metadata["source"] == "grant"


def test_a_grant_that_has_already_expired_is_refused(owner: WalletOwner) -> None:
    with pytest.raises(InvalidExpiry):
        give(owner, 1, expires_in=-DAY)
    with pytest.raises(InvalidExpiry):
        NewLot(CREDIT, LotSource.GRANT, datetime(2027, 1, 1))  # no timezone


def test_a_hold_pins_lots_and_expiry_never_takes_pinned_units(owner: WalletOwner) -> None:
    lot = give(owner, 10, expires_in=DAY)
    hold = credit_holds.place_hold(owner, 4 * CREDIT)
    with frozen_at(NOW + DAY + timedelta(minutes=1)):
        sweep_expired_lots()  # 6 unpinned credits expire, the 4 pinned ones stay
        assert credits.balance(owner) == 4
        settled = credit_holds.settle_hold(
            hold, 3 * CREDIT, category="ai_usage", description="chat", metadata={}
        )
        assert settled.charged == 3 * CREDIT
        assert credits.balance(owner) == 0  # the unspent pinned credit expired at once
    assert entry_types(owner) == [("grant", 10), ("expiry", -6), ("usage", -3), ("expiry", -1)]
    assert lot not in remaining(owner)


def test_a_released_hold_returns_units_to_their_lots(owner: WalletOwner) -> None:
    sooner = give(owner, 5, expires_in=3 * DAY)
    forever = give(owner, 5)
    hold = credit_holds.place_hold(owner, 7 * CREDIT)  # 5 from the sooner lot, 2 from forever
    overview = get_balance_overview(owner)
    assert (overview.balance, overview.held, overview.available) == (10, 7, 3)
    credit_holds.release_hold(hold)
    assert remaining(owner) == {sooner: 5, forever: 5}
    assert get_balance_overview(owner).available == 10


def test_balance_status_is_judged_on_available_not_on_held_credits(owner: WalletOwner) -> None:
    """Issue 11 finding 7: a wallet with everything held said 'ok'."""
    give(owner, 10)
    credit_holds.place_hold(owner, 10 * CREDIT)
    overview = get_balance_overview(owner)
    assert (overview.balance, overview.available, overview.status.value) == (10, 0, "critical")


def test_expiring_lists_lots_within_30_days_soonest_first(owner: WalletOwner) -> None:
    give(owner, 1)
    give(owner, 2, expires_in=40 * DAY)
    give(owner, 3, expires_in=20 * DAY)
    give(owner, 4, expires_in=2 * DAY)
    expiring = get_balance_overview(owner).expiring
    assert [(lot.remaining // CREDIT, lot.expires_at) for lot in expiring] == [
        (4, NOW + 2 * DAY),
        (3, NOW + 20 * DAY),
    ]


def test_a_clawback_takes_the_purchases_own_lots_first(owner: WalletOwner) -> None:
    promo = give(owner, 10, expires_in=5 * DAY)  # would be spent first by an ordinary debit
    bought = credits.grant(owner, 20, description="purchase", type="purchase")
    with unit_of_work() as db:
        taken = take_back(
            db,
            owner,
            25 * CREDIT,
            purchase_entry_id=bought.transaction_id,
            entry_type=TransactionType.REFUND,
            description="refund",
            metadata={},
            idempotency_key="clawback-test",
        )
    assert taken == 25 * CREDIT
    assert remaining(owner) == {promo: 5}


def test_negative_adjustments_take_lots_in_consumption_order(owner: WalletOwner) -> None:
    forever = give(owner, 10)
    soon = give(owner, 10, expires_in=DAY)
    adjust(owner, "-12", reason="correction", operator="ops")
    assert remaining(owner) == {forever: 8}
    assert soon not in remaining(owner)


def test_each_debit_is_explained_lot_by_lot(owner: WalletOwner, any_engine: Engine) -> None:
    first = give(owner, 3, expires_in=DAY)
    second = give(owner, 3)
    spent = credits.deduct(owner, 5, category="other")
    with any_engine.connect() as connection:
        rows = connection.execute(
            text("SELECT lot_id, units FROM credit_allocations WHERE entry_id = :e ORDER BY id"),
            {"e": spent.transaction_id},
        ).all()
    assert [tuple(row) for row in rows] == [(first, 3 * CREDIT), (second, 2 * CREDIT)]


def test_units_are_taken_as_is_without_a_round_trip_through_credits(owner: WalletOwner) -> None:
    result = credits.grant(owner, Units(12_345), description="units")
    assert result.new_balance == credits.balance(owner) == units_to_credits(12_345)
