"""Stateful property test: any sequence of grants, deductions and replays keeps the ledger exact.

An in-memory model predicts every outcome; after each step the database must agree with it,
`balance == sum(entries)` must hold and no balance may be negative.
"""

from decimal import Decimal
from pathlib import Path
from tempfile import TemporaryDirectory

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    rule,
)
from sqlalchemy import func, select

from credits_app.credits import credit_service as credits
from credits_app.credits.amounts import parse_credits
from credits_app.credits.errors import IdempotencyConflict, InsufficientCredits
from credits_app.credits.wallet_service import entries, wallets
from credits_app.db import unit_of_work, use_engine
from tests.conftest import make_org, make_user
from tests.support.databases import fresh_sqlite_engine, migrated_sqlite_template

amounts = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("500"), places=4)
categories = st.sampled_from(["ai_usage", "marketplace", "premium_feature", "other"])

_TEMPLATE_DIR = TemporaryDirectory()


def to_units(credits_value: Decimal) -> int:
    """Exact units of a service result (which may be zero, unlike an input amount)."""
    return int(credits_value.scaleb(4))


_TEMPLATE: Path | None = None


def _template() -> Path:
    global _TEMPLATE
    if _TEMPLATE is None:
        _TEMPLATE = migrated_sqlite_template(Path(_TEMPLATE_DIR.name))
    return _TEMPLATE


class LedgerMachine(RuleBasedStateMachine):
    """Drives the real services against a fresh SQLite database per example."""

    keys = Bundle("keys")

    @initialize(target=keys)
    def open_wallets(self) -> object:
        self.engine = fresh_sqlite_engine(_template(), Path(_TEMPLATE_DIR.name))
        use_engine(self.engine)
        user = make_user()
        org = make_org(user)
        self.wallets = {"user": user.id, "org": org.id}
        self.model = {"user": 0, "org": 0}  # units
        self.requests: dict[tuple[str, str], tuple[int, str]] = {}
        self.results: dict[tuple[str, str], int] = {}
        self.key_count = 0
        return multiple()

    def teardown(self) -> None:
        self.engine.dispose()

    @rule(wallet=st.sampled_from(["user", "org"]), amount=amounts)
    def grant(self, wallet: str, amount: Decimal) -> None:
        grant = credits.grant_personal_credits if wallet == "user" else credits.grant_org_credits
        result = grant(self.wallets[wallet], amount, description="grant")
        self.model[wallet] += parse_credits(amount)
        assert to_units(result.new_balance) == self.model[wallet]

    @rule(target=keys, wallet=st.sampled_from(["user", "org"]), amount=amounts, category=categories)
    def deduct(self, wallet: str, amount: Decimal, category: str) -> object:
        self.key_count += 1
        key = f"k{self.key_count}"
        outcome = self._deduct(wallet, amount, category, key)
        if outcome is None:
            return multiple()
        return (wallet, key, amount, category)

    @rule(request=keys)
    def replay(self, request: tuple[str, str, Decimal, str]) -> None:
        wallet, key, amount, category = request
        before = self.model[wallet]
        deduct = self._deduct_function(wallet)
        result = deduct(self.wallets[wallet], amount, category=category, idempotency_key=key)
        assert result.replayed
        assert result.transaction_id == self.results[(wallet, key)]
        assert self.model[wallet] == before

    @rule(request=consumes(keys), other=amounts)
    def reuse_key_for_another_amount(
        self, request: tuple[str, str, Decimal, str], other: Decimal
    ) -> None:
        wallet, key, amount, category = request
        if other == amount:
            return
        with pytest.raises(IdempotencyConflict):
            self._deduct_function(wallet)(
                self.wallets[wallet], other, category=category, idempotency_key=key
            )

    @invariant()
    def database_matches_model_and_ledger(self) -> None:
        with unit_of_work() as db:
            rows = db.execute(
                select(wallets.c.owner_kind, wallets.c.balance, func.sum(entries.c.amount))
                .select_from(wallets.outerjoin(entries, entries.c.wallet_id == wallets.c.id))
                .group_by(wallets.c.id, wallets.c.owner_kind, wallets.c.balance)
            ).all()
        for kind, balance, ledger_sum in rows:
            assert balance == (ledger_sum or 0)
            assert balance >= 0
            assert balance == self.model[kind]

    def _deduct(self, wallet: str, amount: Decimal, category: str, key: str) -> int | None:
        units = parse_credits(amount)
        try:
            result = self._deduct_function(wallet)(
                self.wallets[wallet], amount, category=category, idempotency_key=key
            )
        except InsufficientCredits:
            assert units > self.model[wallet]
            return None
        assert units <= self.model[wallet]
        self.model[wallet] -= units
        self.results[(wallet, key)] = result.transaction_id
        assert to_units(result.new_balance) == self.model[wallet]
        return result.transaction_id

    @staticmethod
    def _deduct_function(wallet: str):  # type: ignore[no-untyped-def]
        return credits.deduct_personal_credits if wallet == "user" else credits.deduct_org_credits


LedgerMachine.TestCase.settings = settings(
    max_examples=40,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_ledger_matches_in_memory_model = LedgerMachine.TestCase
