"""Transfers and refunds under real concurrency (Postgres row locks; SQLite's single writer).

- nulli0n/ExcellentEconomy#78/#79: a transfer that credited the receiver before debiting the
  sender let racing transfers each pay out the full amount. Here 4N transfers race from a
  wallet funded for N: exactly N succeed, the rest are 402 and move nothing.
- opposite transfers (A→B racing B→A) lock both wallets in id order: no deadlock error ever
  reaches a caller and the total is conserved.
- Flexprice bcd7a3ec7 (a refund paid out twice): 10 concurrent refunds of one spend together
  return at most the spend; a refund racing the expiry of its lot never resurrects it.
"""

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from credits_app.clock import frozen_at
from credits_app.credits import credit_service as credits
from credits_app.credits import lot_reads
from credits_app.credits.categories import LotSource, OwnerKind
from credits_app.credits.drafts import NewLot
from credits_app.credits.errors import InsufficientCredits
from credits_app.credits.lot_expiry import sweep_expired_lots
from credits_app.credits.owners import WalletOwner
from credits_app.credits.spend_refunds import AmountExceedsRefundable, refund_for_service
from credits_app.credits.transfers import Recipient, TransferResult, transfer
from tests.conftest import make_user
from tests.support.lots import assert_lots_match_ledger
from tests.support.races import Call, race

CREDIT = 10_000
N = 12


def test_4n_transfers_from_a_wallet_funded_for_n_pay_exactly_n_excellent_economy_78(
    any_engine: Engine,
) -> None:
    sender = make_user("sender")
    receivers = [make_user("receiver") for _ in range(4)]
    source = WalletOwner.user(sender.id)
    credits.grant(source, N, description="funding")
    calls: list[Call] = [
        (lambda r=r: transfer(sender.id, source, Recipient(OwnerKind.USER, email=r.email), 1))
        for r in receivers
        for _ in range(N)
    ]
    outcomes = race(calls)
    assert sum(isinstance(o, TransferResult) for o in outcomes) == N
    assert all(isinstance(o, TransferResult | InsufficientCredits) for o in outcomes)
    assert credits.balance(source) == 0
    assert sum(credits.balance(WalletOwner.user(r.id)) for r in receivers) == N
    for owner in [source, *(WalletOwner.user(r.id) for r in receivers)]:
        assert_lots_match_ledger(owner)


def test_opposite_transfers_never_deadlock_and_conserve_the_total(any_engine: Engine) -> None:
    a, b = make_user("a"), make_user("b")
    wallet_a, wallet_b = WalletOwner.user(a.id), WalletOwner.user(b.id)
    credits.grant(wallet_a, 30, description="funding")
    credits.grant(wallet_b, 30, description="funding")
    to_a, to_b = Recipient(OwnerKind.USER, email=a.email), Recipient(OwnerKind.USER, email=b.email)
    calls: list[Call] = []
    for _ in range(50):
        calls.append(lambda: transfer(a.id, wallet_a, to_b, 1))
        calls.append(lambda: transfer(b.id, wallet_b, to_a, 1))
    # Only expected domain errors (402) may come back: a deadlock would raise out of `race`.
    race(calls, expected=InsufficientCredits)
    assert credits.balance(wallet_a) + credits.balance(wallet_b) == 60
    assert_lots_match_ledger(wallet_a)
    assert_lots_match_ledger(wallet_b)


def test_ten_concurrent_refunds_never_return_more_than_the_spend_flexprice(
    any_engine: Engine,
) -> None:
    owner = WalletOwner.user(make_user("buyer").id)
    credits.grant(owner, 10, description="funding")
    entry = credits.deduct(owner, 5, category="marketplace").transaction_id
    outcomes = race(
        [lambda: refund_for_service(entry, 2, reason="support") for _ in range(10)], threads=10
    )
    succeeded = [o for o in outcomes if not isinstance(o, Exception)]
    assert len(succeeded) == 2  # 2 + 2 of 5; a third 2 would exceed the spend
    assert all(isinstance(o, AmountExceedsRefundable) for o in outcomes if isinstance(o, Exception))
    assert credits.balance(owner) == 9
    # Back into the one lot the spend took from, never above its original.
    assert [lot.remaining for lot in lot_reads.list_lots(owner)] == [9 * CREDIT]
    assert_lots_match_ledger(owner)


def test_a_refund_racing_the_expiry_of_its_lot_never_resurrects_it(any_engine: Engine) -> None:
    expires = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    owner = WalletOwner.user(make_user("buyer").id)
    with frozen_at(expires - timedelta(days=1)):
        lot = NewLot(8 * CREDIT, LotSource.PROMOTION, expires)
        credits.grant(owner, 8, description="promo", lots=(lot,))
        entries = [
            credits.deduct(owner, 1, category="marketplace").transaction_id for _ in range(8)
        ]
    after = expires + timedelta(seconds=1)
    calls: list[Call] = [(after, lambda e=e: refund_for_service(e, reason="r")) for e in entries]
    calls += [(after, sweep_expired_lots) for _ in range(8)]
    race(calls)
    with frozen_at(after):
        assert credits.balance(owner) == 0
    assert_lots_match_ledger(owner)
