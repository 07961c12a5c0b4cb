"""Stateful property test of credit lots against an in-memory model (DESIGN §3b).

Random grants (random expiry and priority), deductions, holds placed/settled/released,
clawbacks (a Stripe refund's debit, the purchase's lots first), clock advances and sweeps run
against the real services on a fresh SQLite database per example. The model predicts every
outcome: which lots each debit takes (the consumption order), what expires and when. After
every step: balance == sum(entries) == sum(lot remaining), each lot's remaining/held/expired
as predicted, nothing expired is spendable or counted, and each lot's own expiry entry exists
at most once.
"""

import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from sqlalchemy import text

from credits_app.clock import frozen_at
from credits_app.credits import credit_holds, lot_reads
from credits_app.credits import credit_service as credits
from credits_app.credits.amounts import Units
from credits_app.credits.categories import LotSource, TransactionType
from credits_app.credits.clawback import take_back
from credits_app.credits.drafts import NewLot
from credits_app.credits.errors import InsufficientCredits, InvalidArgument
from credits_app.credits.hold_expiry import HOLD_TTL
from credits_app.credits.lot_expiry import sweep_expired_lots
from credits_app.credits.owners import WalletOwner
from credits_app.db import unit_of_work, use_engine
from tests.conftest import make_user
from tests.support.databases import fresh_sqlite_engine, migrated_sqlite_template
from tests.support.lots import assert_lots_match_ledger

START = datetime(2026, 12, 1, tzinfo=UTC)
_TEMPLATE_DIR = TemporaryDirectory()
_TEMPLATE: list[Path] = []

units = st.integers(min_value=1, max_value=40)
expiries = st.one_of(st.none(), st.integers(min_value=1, max_value=72))  # hours from now
priorities = st.sampled_from([0, 10, 50, 50, 90])


@dataclass
class ModelLot:
    id: int
    entry_id: int
    remaining: int
    expires_at: datetime | None
    priority: int
    seq: int
    held: int = 0
    expired: int = 0

    def due(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now

    def order(self, preferred_entry: int | None = None) -> tuple[object, ...]:
        return (
            0 if self.entry_id == preferred_entry else 1,
            self.expires_at is None,
            self.expires_at or START,
            self.priority,
            self.seq,
            self.id,
        )


@dataclass
class ModelWallet:
    lots: dict[int, ModelLot] = field(default_factory=dict)
    holds: dict[int, dict[int, int]] = field(default_factory=dict)  # hold -> lot -> pinned
    placed: dict[int, datetime] = field(default_factory=dict)  # hold -> when
    lapsed: set[int] = field(default_factory=set)  # holds released after HOLD_TTL

    def release_lapsed_holds(self, now: datetime) -> bool:
        """What the services do to holds older than HOLD_TTL: give their units back."""
        lapsed = [hold for hold, at in self.placed.items() if at < now - HOLD_TTL]
        for hold_id in lapsed:
            for lot_id, part in self.holds.pop(hold_id).items():
                self.lots[lot_id].held -= part
            del self.placed[hold_id]
            self.lapsed.add(hold_id)
        self.expire(now)
        return bool(lapsed)

    def expire(self, now: datetime) -> None:
        for lot in self.lots.values():
            if lot.due(now) and lot.remaining > lot.held:
                lot.expired += lot.remaining - lot.held
                lot.remaining = lot.held

    def available(self, now: datetime) -> int:
        return sum(lot.remaining - lot.held for lot in self.lots.values() if not lot.due(now))

    def visible_balance(self, now: datetime) -> int:
        return sum(lot.held if lot.due(now) else lot.remaining for lot in self.lots.values())

    def take(self, amount: int, now: datetime, preferred: int | None = None) -> dict[int, int]:
        """Units taken per lot, in the consumption order, from free units of unexpired lots."""
        taken: dict[int, int] = {}
        free = [lot for lot in self.lots.values() if not lot.due(now) and lot.remaining > lot.held]
        for lot in sorted(free, key=lambda lot: lot.order(preferred)):
            if amount == 0:
                break
            part = min(lot.remaining - lot.held, amount)
            taken[lot.id] = part
            amount -= part
        assert amount == 0
        return taken


class LotMachine(RuleBasedStateMachine):
    """The real services on SQLite, one wallet, a frozen clock we move forward."""

    @initialize()
    def open_wallet(self) -> None:
        if not _TEMPLATE:
            _TEMPLATE.append(migrated_sqlite_template(Path(_TEMPLATE_DIR.name)))
        self.engine = fresh_sqlite_engine(_TEMPLATE[0], Path(_TEMPLATE_DIR.name))
        use_engine(self.engine)
        self.now = START
        with frozen_at(self.now):
            self.owner = WalletOwner.user(make_user("prop").id)
        self.model = ModelWallet()
        self.seq = 0
        self.keys = 0

    def teardown(self) -> None:
        self.engine.dispose()

    @rule(amount=units, hours=expiries, priority=priorities)
    def grant(self, amount: int, hours: int | None, priority: int) -> None:
        expires_at = self.now + timedelta(hours=hours) if hours else None
        with frozen_at(self.now):
            result = credits.grant(
                self.owner,
                Units(amount),
                description="grant",
                type="purchase",
                lots=(NewLot(amount, LotSource.PURCHASE, expires_at, priority),),
            )
        self.model.expire(self.now)
        self.seq += 1
        assert result.lot_id is not None
        self.model.lots[result.lot_id] = ModelLot(
            result.lot_id, result.transaction_id, amount, expires_at, priority, self.seq
        )

    @rule(amount=units)
    def deduct(self, amount: int) -> None:
        # A refused debit first frees holds older than HOLD_TTL and tries again; a refusal in
        # the end rolls everything back (expiries included).
        after = copy.deepcopy(self.model)
        after.expire(self.now)
        if amount > after.available(self.now):
            after.release_lapsed_holds(self.now)
        fits = amount <= after.available(self.now)
        with frozen_at(self.now):
            try:
                credits.deduct(self.owner, Units(amount), category="other")
            except InsufficientCredits:
                assert not fits
                return
        assert fits
        self.model = after
        for lot_id, part in self.model.take(amount, self.now).items():
            self.model.lots[lot_id].remaining -= part

    @rule(amount=units)
    def place_hold(self, amount: int) -> None:
        after = copy.deepcopy(self.model)
        after.expire(self.now)
        after.release_lapsed_holds(self.now)  # a new hold frees lapsed ones first
        fits = amount <= after.available(self.now)
        with frozen_at(self.now):
            try:
                hold_id = credit_holds.place_hold(self.owner, amount)
            except InsufficientCredits:
                assert not fits
                return
        assert fits
        self.model = after
        pinned = self.model.take(amount, self.now)
        for lot_id, part in pinned.items():
            self.model.lots[lot_id].held += part
        self.model.holds[hold_id] = pinned
        self.model.placed[hold_id] = self.now

    @precondition(lambda self: self.model.lapsed)
    @rule(data=st.data())
    def settle_a_lapsed_hold(self, data: st.DataObject) -> None:
        """A hold released after HOLD_TTL cannot be settled any more (nothing is charged)."""
        hold_id = data.draw(st.sampled_from(sorted(self.model.lapsed)))
        with frozen_at(self.now), pytest.raises(InvalidArgument):
            credit_holds.settle_hold(hold_id, 1, category="ai_usage", description="x", metadata={})

    @precondition(lambda self: self.model.holds)
    @rule(data=st.data())
    def settle_hold(self, data: st.DataObject) -> None:
        hold_id = data.draw(st.sampled_from(sorted(self.model.holds)))
        pinned = self.model.holds.pop(hold_id)
        del self.model.placed[hold_id]
        charge = data.draw(st.integers(min_value=0, max_value=sum(pinned.values())))
        with frozen_at(self.now):
            settled = credit_holds.settle_hold(
                hold_id, charge, category="ai_usage", description="chat", metadata={}
            )
        assert settled.charged == charge
        self.model.expire(self.now)  # pinned units are not free: they survive this
        lots = sorted((self.model.lots[lot_id] for lot_id in pinned), key=lambda lot: lot.order())
        for lot in lots:
            part = min(pinned[lot.id], charge)
            charge -= part
            lot.remaining -= part
            lot.held -= pinned[lot.id]
        self.model.expire(self.now)  # what came back to an expired lot expires at once

    @precondition(lambda self: self.model.holds)
    @rule(data=st.data())
    def release_hold(self, data: st.DataObject) -> None:
        hold_id = data.draw(st.sampled_from(sorted(self.model.holds)))
        pinned = self.model.holds.pop(hold_id)
        del self.model.placed[hold_id]
        with frozen_at(self.now):
            credit_holds.release_hold(hold_id)
        self.model.expire(self.now)
        for lot_id, part in pinned.items():
            self.model.lots[lot_id].held -= part
        self.model.expire(self.now)

    @precondition(lambda self: self.model.lots)
    @rule(data=st.data(), owed=units)
    def claw_back(self, data: st.DataObject, owed: int) -> None:
        """A Stripe refund of one purchase: its own lot first, never below held or zero."""
        lot_id = data.draw(st.sampled_from(sorted(self.model.lots)))
        entry_id = self.model.lots[lot_id].entry_id
        self.keys += 1
        with frozen_at(self.now), unit_of_work() as db:
            taken = take_back(
                db,
                self.owner,
                owed,
                purchase_entry_id=entry_id,
                entry_type=TransactionType.REFUND,
                description="refund",
                metadata={},
                idempotency_key=f"claw:{self.keys}",
            )
        self.model.expire(self.now)
        assert taken == min(owed, self.model.available(self.now))
        if taken:
            for part_lot, part in self.model.take(taken, self.now, preferred=entry_id).items():
                self.model.lots[part_lot].remaining -= part

    @rule(hours=st.sampled_from([0.1, 1, 6, 30]))
    def advance_clock(self, hours: float) -> None:
        self.now += timedelta(hours=hours)

    @rule()
    def sweep(self) -> None:
        with frozen_at(self.now):
            sweep_expired_lots()
        self.model.expire(self.now)

    @invariant()
    def database_matches_model(self) -> None:
        if not hasattr(self, "model"):
            return
        with frozen_at(self.now):
            assert_lots_match_ledger(self.owner)
            # Nothing expired is counted: the balance read skips due lots' free units.
            assert credits.balance(self.owner) * 10_000 == self.model.visible_balance(self.now)
            listed = {lot.id: lot.remaining for lot in lot_reads.list_lots(self.owner)}
        expected = {
            lot.id: lot.remaining
            for lot in self.model.lots.values()
            if lot.remaining > 0 and not lot.due(self.now)
        }
        assert listed == expected
        with unit_of_work() as db:
            stored = {
                row.id: (row.remaining, row.held, row.expired)
                for row in db.execute(text("SELECT id, remaining, held, expired FROM credit_lots"))
            }
            own_expiries = db.execute(
                text(
                    "SELECT idempotency_key, COUNT(*) FROM ledger_entries WHERE type = 'expiry' "
                    "GROUP BY idempotency_key HAVING COUNT(*) > 1"
                )
            ).all()
        assert own_expiries == []  # each lot's expiry entry (and each later one) exactly once
        for lot in self.model.lots.values():
            assert stored[lot.id] == (lot.remaining, lot.held, lot.expired), lot


LotMachine.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_lots_match_the_in_memory_model = LotMachine.TestCase
