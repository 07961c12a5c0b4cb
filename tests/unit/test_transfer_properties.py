"""Stateful property test: transfers among 5 wallets, spends and refunds (DESIGN §3b).

Random grants with random lot expiries, transfers between any two of 5 wallets, marketplace
spends, partial refunds, and clock advances run against the real services on a fresh SQLite
database per example. After every step, for every wallet: balance == sum(entries) ==
sum(lot remaining) with every lot's units explained; the total over all wallets equals
grants - spends + refunds - expiry (transfers conserve it); no refund ever exceeds its spend;
and no expired unit is counted or moved (a transferred lot is never past its expiry when it
is created, an expired lot never has unexpired remaining units after a write).
"""

from contextlib import suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import text

from credits_app.clock import frozen_at
from credits_app.credits import credit_service as credits
from credits_app.credits.categories import LotSource, OwnerKind
from credits_app.credits.drafts import NewLot
from credits_app.credits.errors import CreditsError
from credits_app.credits.lot_expiry import sweep_expired_lots
from credits_app.credits.owners import WalletOwner
from credits_app.credits.spend_refunds import refund_for_service
from credits_app.credits.transfers import Recipient, transfer
from credits_app.db import unit_of_work, use_engine
from tests.conftest import make_user
from tests.support.databases import fresh_sqlite_engine, migrated_sqlite_template
from tests.support.lots import assert_lots_match_ledger

START = datetime(2026, 12, 1, tzinfo=UTC)
CREDIT = 10_000
WALLETS = 5
_TEMPLATE_DIR = TemporaryDirectory()
_TEMPLATE: list[Path] = []

wallet_index = st.integers(min_value=0, max_value=WALLETS - 1)
amounts = st.integers(min_value=1, max_value=30)


class TransferMachine(RuleBasedStateMachine):
    @initialize()
    def open_wallets(self) -> None:
        if not _TEMPLATE:
            _TEMPLATE.append(migrated_sqlite_template(Path(_TEMPLATE_DIR.name)))
        self.engine = fresh_sqlite_engine(_TEMPLATE[0], Path(_TEMPLATE_DIR.name))
        use_engine(self.engine)
        self.now = START
        with frozen_at(self.now):
            self.users = [make_user("prop") for _ in range(WALLETS)]
        self.owners = [WalletOwner.user(user.id) for user in self.users]
        self.spends: dict[int, int] = {}  # usage entry id -> units spent

    def teardown(self) -> None:
        self.engine.dispose()

    @rule(who=wallet_index, amount=amounts, hours=st.one_of(st.none(), st.integers(1, 48)))
    def grant(self, who: int, amount: int, hours: int | None) -> None:
        expires = self.now + timedelta(hours=hours) if hours else None
        lot = NewLot(amount * CREDIT, LotSource.GRANT, expires)
        with frozen_at(self.now):
            credits.grant(self.owners[who], amount, description="grant", lots=(lot,))

    @rule(sender=wallet_index, receiver=wallet_index, amount=amounts)
    def send(self, sender: int, receiver: int, amount: int) -> None:
        to = Recipient(OwnerKind.USER, email=self.users[receiver].email)
        # Short or self: refused, nothing moved (the invariants below check it).
        with frozen_at(self.now), suppress(CreditsError):
            transfer(self.users[sender].id, self.owners[sender], to, amount)

    @rule(who=wallet_index, amount=amounts)
    def spend(self, who: int, amount: int) -> None:
        with frozen_at(self.now):
            try:
                entry = credits.deduct(self.owners[who], amount, category="marketplace")
            except CreditsError:
                return
        self.spends[entry.transaction_id] = amount * CREDIT

    @rule(data=st.data(), amount=st.one_of(st.none(), amounts))
    def refund(self, data: st.DataObject, amount: int | None) -> None:
        if not self.spends:
            return
        entry = data.draw(st.sampled_from(sorted(self.spends)))
        with frozen_at(self.now), suppress(CreditsError):  # more than is left
            refund_for_service(entry, amount, reason="property")

    @rule(hours=st.integers(min_value=1, max_value=30))
    def advance_clock(self, hours: int) -> None:
        self.now += timedelta(hours=hours)

    @rule()
    def sweep(self) -> None:
        with frozen_at(self.now):
            sweep_expired_lots()

    @invariant()
    def money_is_conserved_lot_by_lot(self) -> None:
        if not hasattr(self, "owners"):
            return
        for owner in self.owners:
            assert_lots_match_ledger(owner)
        with unit_of_work() as db:
            by_type = dict(
                db.execute(text("SELECT type, SUM(amount) FROM ledger_entries GROUP BY type")).all()
            )
            total = db.execute(text("SELECT SUM(balance) FROM wallets")).scalar_one() or 0
            over_refunded = db.execute(
                text(
                    "SELECT COUNT(*) FROM ledger_entries e WHERE e.type = 'usage' AND -e.amount < "
                    "(SELECT COALESCE(SUM(p.units), 0) FROM spend_refund_parts p "
                    "WHERE p.usage_entry_id = e.id)"
                )
            ).scalar_one()
            # Every transfer_in lot was created unexpired: transfers never move expired units.
            moved_expired = db.execute(
                text(
                    "SELECT COUNT(*) FROM credit_lots l JOIN ledger_entries e ON e.id = l.entry_id "
                    "WHERE e.type = 'transfer_in' AND l.expires_at IS NOT NULL "
                    "AND l.expires_at <= e.created_at"
                )
            ).scalar_one()
        assert by_type.get("transfer_out", 0) + by_type.get("transfer_in", 0) == 0
        assert total == sum(by_type.values())
        assert over_refunded == 0
        assert moved_expired == 0
        with frozen_at(self.now):
            visible = sum(credits.balance(owner) for owner in self.owners)
        assert visible * CREDIT <= total  # due lots are never counted


TransferMachine.TestCase.settings = settings(
    max_examples=25,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_transfers_spends_and_refunds_keep_every_invariant = TransferMachine.TestCase
