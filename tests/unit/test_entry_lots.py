"""Which lots an entry used: the allocations of a debit, read back for the history drawer."""

from datetime import timedelta

import pytest

from credits_app.clock import utcnow
from credits_app.credits import credit_service as credits
from credits_app.credits.amounts import UNITS_PER_CREDIT
from credits_app.credits.categories import LotSource
from credits_app.credits.drafts import NewLot
from credits_app.credits.entry_lots import entry_lots, lots_used
from credits_app.credits.owners import WalletOwner
from credits_app.credits.spend_refunds import TransactionNotFound
from tests.conftest import make_user

pytestmark = pytest.mark.usefixtures("any_engine")


def test_a_spend_lists_the_lots_it_took_in_consumption_order_with_the_units_of_each() -> None:
    user = make_user()
    owner = WalletOwner.user(user.id)
    soon = utcnow() + timedelta(days=3)
    promo = credits.grant_personal_credits(
        user.id,
        "5",
        description="promo",
        lots=(NewLot(5 * UNITS_PER_CREDIT, LotSource.PROMOTION, expires_at=soon),),
    )
    paid = credits.grant_personal_credits(user.id, "20", description="grant")
    spend = credits.deduct_personal_credits(user.id, "7.5", category="marketplace")

    used = entry_lots(owner, spend.transaction_id)

    assert [(u.lot_id, u.source, u.units) for u in used] == [
        (promo.lot_id, "promotion", 5 * UNITS_PER_CREDIT),  # expiring first (DESIGN §3b)
        (paid.lot_id, "grant", 25_000),
    ]
    assert used[0].expires_at is not None and abs(used[0].expires_at - soon) < timedelta(seconds=1)
    assert used[1].expires_at is None
    assert entry_lots(owner, paid.transaction_id) == []  # a credit took from no lot


def test_another_wallets_entry_is_not_found_and_batch_reads_skip_it() -> None:
    alice, bob = make_user("alice"), make_user("bob")
    credits.grant_personal_credits(bob.id, "3", description="grant")
    bobs_spend = credits.deduct_personal_credits(bob.id, "1", category="other")
    credits.grant_personal_credits(alice.id, "3", description="grant")
    alices_spend = credits.deduct_personal_credits(alice.id, "2", category="other")
    with pytest.raises(TransactionNotFound):
        entry_lots(WalletOwner.user(alice.id), bobs_spend.transaction_id)
    batch = lots_used(
        WalletOwner.user(alice.id), [alices_spend.transaction_id, bobs_spend.transaction_id]
    )
    assert set(batch) == {alices_spend.transaction_id}
    assert lots_used(WalletOwner.user(alice.id), []) == {}
