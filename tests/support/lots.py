"""The lot invariants (DESIGN §3b), read straight from the tables, for any test to assert."""

from sqlalchemy import text

from credits_app.credits.owners import WalletOwner
from credits_app.db import unit_of_work

_PER_LOT = text(
    """
    SELECT lots.id, lots.original, lots.remaining, lots.held, lots.expired,
        COALESCE((SELECT SUM(a.units) FROM credit_allocations a
                  WHERE a.lot_id = lots.id AND a.entry_id IS NOT NULL), 0) AS taken,
        COALESCE((SELECT SUM(a.units) FROM credit_allocations a
                  JOIN credit_holds h ON h.id = a.hold_id
                  WHERE a.lot_id = lots.id AND a.entry_id IS NULL AND h.status = 'active'), 0)
            AS pinned,
        COALESCE((SELECT SUM(a.units) FROM credit_allocations a
                  JOIN ledger_entries e ON e.id = a.entry_id
                  WHERE a.lot_id = lots.id AND e.type = 'expiry'), 0) AS expired_by_entries,
        COALESCE((SELECT SUM(p.units) FROM spend_refund_parts p
                  WHERE p.lot_id = lots.id AND p.restored), 0) AS restored
    FROM credit_lots lots JOIN wallets w ON w.id = lots.wallet_id
    WHERE w.owner_kind = :kind AND w.owner_id = :id
    """
)
_PER_ENTRY = text(
    """
    SELECT e.id, e.amount,
        COALESCE((SELECT SUM(a.units) FROM credit_allocations a WHERE a.entry_id = e.id), 0),
        COALESCE((SELECT SUM(l.original) FROM credit_lots l WHERE l.entry_id = e.id), 0)
        + COALESCE((SELECT SUM(p.units) FROM spend_refund_parts p
                    WHERE p.refund_entry_id = e.id AND p.restored), 0)
    FROM ledger_entries e JOIN wallets w ON w.id = e.wallet_id
    WHERE w.owner_kind = :kind AND w.owner_id = :id
      -- credits from before lots existed are in the wallet's `opening` lot (migration 0005)
      AND NOT EXISTS (SELECT 1 FROM credit_lots o WHERE o.wallet_id = w.id
                      AND o.source = 'opening' AND o.created_at > e.created_at)
    """
)
_TOTALS = text(
    """
    SELECT w.balance, w.held,
        COALESCE((SELECT SUM(amount) FROM ledger_entries WHERE wallet_id = w.id), 0),
        COALESCE((SELECT SUM(remaining) FROM credit_lots WHERE wallet_id = w.id), 0),
        COALESCE((SELECT SUM(held) FROM credit_lots WHERE wallet_id = w.id), 0)
    FROM wallets w WHERE w.owner_kind = :kind AND w.owner_id = :id
    """
)


def assert_lots_match_ledger(owner: WalletOwner) -> None:
    """balance == sum(entries) == sum(lot remaining); held == sum(lot held) == pinned units of
    active holds; every lot's units are explained by the entries that took them and the
    refunds that gave them back; every debit by its allocations and every credit by the lots
    it created plus the units it returned to lots."""
    params = {"kind": owner.kind.value, "id": owner.id}
    with unit_of_work() as db:
        balance, held, ledger_sum, remaining, lots_held = db.execute(_TOTALS, params).one()
        assert balance == ledger_sum == remaining, (balance, ledger_sum, remaining)
        assert held == lots_held, (held, lots_held)
        assert 0 <= held <= balance
        for row in db.execute(_PER_LOT, params):
            lot_id, original, left, lot_held, expired, taken, pinned, by_expiry, restored = row
            assert 0 <= left <= original, f"lot {lot_id}: {left} of {original}"
            assert original - left == taken - restored, (
                f"lot {lot_id}: {original} - {left} != {taken} taken - {restored} refunded"
            )
            assert lot_held == pinned, f"lot {lot_id}: held {lot_held} != pinned {pinned}"
            assert expired == by_expiry, f"lot {lot_id}: expired {expired} != {by_expiry}"
        for entry_id, amount, allocated, created in db.execute(_PER_ENTRY, params):
            if amount < 0:
                assert -amount == allocated, f"entry {entry_id}: {amount} vs {allocated}"
            else:
                assert amount == created, f"entry {entry_id}: {amount} vs lots {created}"
