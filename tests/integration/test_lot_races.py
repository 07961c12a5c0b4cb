"""Races on credit lots with real threads (Postgres row locks; SQLite's single writer).

Each reproduces a 2026 incident elsewhere:
- managoat/fountain#1126: an expiry computed outside the lock ate purchased credits when a
  spend slipped in between. Here sweeps race spends and a hold on the very lot that expires:
  the expiry takes only that lot's unheld, unspent rest, never purchased or held units.
- the ledger's history chain under 16 concurrent writers: every row's `balanceAfter` minus its
  `amount` is the next older row's `balanceAfter` (rows listed in ledger order).
(vm0-ai/vm0#10299 and useautumn/autumn#2508 are in tests/unit/test_credit_lots.py, on both
databases.)
"""

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine, text

from credits_app.clock import frozen_at
from credits_app.credits import credit_holds
from credits_app.credits import credit_service as credits
from credits_app.credits.categories import LotSource
from credits_app.credits.drafts import NewLot
from credits_app.credits.lot_expiry import sweep_expired_lots
from credits_app.credits.owners import WalletOwner
from tests.conftest import make_user
from tests.support.lots import assert_lots_match_ledger
from tests.support.races import Call, race

CREDIT = 10_000
EXPIRES = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
BEFORE, AFTER = EXPIRES - timedelta(seconds=1), EXPIRES + timedelta(seconds=1)


def test_expiry_racing_spends_and_a_hold_never_takes_spent_held_or_bought_units_fountain_1126(
    any_engine: Engine,
) -> None:
    owner = WalletOwner.user(make_user("race").id)
    with frozen_at(EXPIRES - timedelta(days=1)):
        promo = credits.grant(
            owner,
            20,
            description="promotion",
            lots=(NewLot(20 * CREDIT, LotSource.PROMOTION, EXPIRES),),
        ).lot_id
        bought = credits.grant(owner, 30, description="purchase", type="purchase").lot_id
    calls: list[Call] = []
    for index in range(48):
        if index % 3 == 0:  # spends just before the expiry: they may take from the promotion
            calls.append((BEFORE, lambda: credits.deduct(owner, "0.5", category="other")))
        elif index % 3 == 1:  # spends just after: only the purchase can pay them
            calls.append((AFTER, lambda: credits.deduct(owner, "0.25", category="other")))
        else:
            calls.append((AFTER, sweep_expired_lots))
    calls.insert(7, (BEFORE, lambda: credit_holds.place_hold(owner, 3 * CREDIT)))
    outcomes = race(calls)
    assert not [o for o in outcomes if isinstance(o, Exception)]

    with any_engine.connect() as connection:
        lots = {
            row.id: row
            for row in connection.execute(
                text("SELECT id, remaining, held, expired FROM credit_lots WHERE id IN (:a, :b)"),
                {"a": promo, "b": bought},
            )
        }
        taken = dict(
            connection.execute(
                text(
                    "SELECT a.lot_id, SUM(a.units) FROM credit_allocations a "
                    "JOIN ledger_entries e ON e.id = a.entry_id "
                    "WHERE e.type = 'usage' AND a.lot_id IN (:a, :b) GROUP BY a.lot_id"
                ),
                {"a": promo, "b": bought},
            ).all()
        )
        expiry_lots = connection.execute(
            text(
                "SELECT DISTINCT a.lot_id FROM credit_allocations a "
                "JOIN ledger_entries e ON e.id = a.entry_id JOIN wallets w ON w.id = e.wallet_id "
                "WHERE e.type = 'expiry' AND w.owner_id = :user AND w.owner_kind = 'user'"
            ),
            {"user": owner.id},
        ).all()
    spent = 16 * 5_000 + 16 * 2_500
    assert sum(taken.values()) == spent
    assert [row[0] for row in expiry_lots] == [promo]  # the purchase never expires
    promotion = lots[promo]
    # Every promotion unit was spent, pinned or expired - exactly once, never more.
    assert promotion.expired + taken.get(promo, 0) + promotion.held == 20 * CREDIT
    assert promotion.remaining == promotion.held
    purchase = lots[bought]
    assert purchase.remaining == 30 * CREDIT - taken.get(bought, 0)
    assert purchase.expired == 0
    with frozen_at(AFTER):
        assert_lots_match_ledger(owner)


def test_history_chains_in_ledger_order_under_16_concurrent_writers(any_engine: Engine) -> None:
    """Issue 10: 848 of 6,171 neighbouring rows did not chain when created_at was stamped
    before the lock. Now history is listed in ledger order and each row's balanceAfter minus
    its amount is the balanceAfter of the row below it."""
    owner = WalletOwner.user(make_user("chain").id)
    credits.grant(owner, 1000, description="funding")
    calls: list[Call] = []
    for index in range(160):
        if index % 4 == 0:
            calls.append((None, lambda: credits.grant(owner, "1.5", description="top-up")))
        else:
            calls.append((None, lambda: credits.deduct(owner, "0.75", category="ai_usage")))
    race(calls)
    items, cursor = [], None
    while True:
        page = credits.get_history(owner, limit=37, cursor=cursor)
        items.extend(page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert len(items) == 161
    assert len({item.id for item in items}) == 161  # the cursor neither skips nor repeats
    for newer, older in itertools.pairwise(items):
        assert newer.balance_after - newer.amount == older.balance_after, (newer, older)
        assert newer.created_at >= older.created_at  # stamped under the lock
    assert items[-1].balance_after == items[-1].amount == Decimal(1000)
