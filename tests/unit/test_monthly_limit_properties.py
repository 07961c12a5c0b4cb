"""Stateful property test of the monthly limit: any sequence of grants, spends (some backdated
into the previous month, some exactly up to the limit), operator debits (some overdrawing),
replays, limit changes (some below what was spent) and month changes keeps the month's spending
exact and within the limit.

An in-memory model predicts every outcome (success, `MonthlyLimitReached` or
`InsufficientCredits`). Independently of the model, after every step:
- `spent_this_month` equals the sum of the `usage` entries of its month (and of the current one);
- this month's spending never exceeds a limit that was set before the spending (a limit lowered
  below what was already spent freezes the spending instead);
- `spend_month` never moves back, and `balance == sum(entries) >= 0`.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
)
from sqlalchemy import event as sa_event
from sqlalchemy import select

from credits_app.clock import as_utc, frozen_at, month_of
from credits_app.credits import credit_service as credits
from credits_app.credits.adjustments import adjust_org_credits, adjust_personal_credits
from credits_app.credits.amounts import parse_credits, units_to_credits
from credits_app.credits.errors import InsufficientCredits, MonthlyLimitReached
from credits_app.credits.wallet_service import WalletOwner, entries, require_wallet
from credits_app.credits.wallet_settings import update_wallet_settings
from credits_app.db import unit_of_work, use_engine
from tests.conftest import make_org, make_user
from tests.support.databases import fresh_sqlite_engine, migrated_sqlite_template

WALLETS = st.sampled_from(["user", "org"])
amounts = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("60"), places=4)
limits = st.none() | st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("120"), places=4)
categories = st.sampled_from(["ai_usage", "marketplace", "other"])
STARTING_BALANCE = 40  # credits per wallet: limits and balances both run out

_TEMPLATE_DIR = TemporaryDirectory()
_TEMPLATE: Path | None = None


def _template() -> Path:
    global _TEMPLATE
    if _TEMPLATE is None:
        _TEMPLATE = migrated_sqlite_template(Path(_TEMPLATE_DIR.name))
    return _TEMPLATE


def _no_fsync(dbapi_connection: Any, _record: Any) -> None:
    """A throwaway database: skip fsync on commit, which dominates the run time."""
    dbapi_connection.execute("PRAGMA synchronous=OFF")


def first_day(month: int) -> date:
    """Month number 0 is January 2026."""
    return date(2026 + month // 12, month % 12 + 1, 1)


def moment_in(month: int) -> datetime:
    return datetime.combine(first_day(month), datetime.min.time(), tzinfo=UTC).replace(day=15)


@dataclass
class ModelWallet:
    """What the wallet row should hold, in units and month numbers."""

    balance: int = 0
    limit: int | None = None
    spend_month: int | None = None
    spent: int = 0
    limit_set_month: int = 0
    spent_when_limit_set: int = 0

    def spent_in(self, month: int) -> int:
        return self.spent if self.spend_month == month else 0

    def move(self, month: int, amount: int, spend: int) -> None:
        """The bookkeeping of ledger_sql._MOVE_BALANCE for a move posted in `month`."""
        self.balance += amount
        if self.spend_month == month:
            self.spent += spend
        elif self.spend_month is None or self.spend_month < month:
            self.spend_month, self.spent = month, spend


class MonthlyLimitMachine(RuleBasedStateMachine):
    """Drives the real services against a fresh SQLite database per example."""

    paid = Bundle("paid")

    @initialize(user_limit=limits, org_limit=limits)
    def open_wallets(self, user_limit: Decimal | None, org_limit: Decimal | None) -> None:
        self.engine = fresh_sqlite_engine(_template(), Path(_TEMPLATE_DIR.name))
        sa_event.listen(self.engine, "connect", _no_fsync)
        use_engine(self.engine)
        self.month = 0
        with frozen_at(moment_in(0)):
            user = make_user()
            org = make_org(user)
        self.owners = {"user": WalletOwner.user(user.id), "org": WalletOwner.org(org.id)}
        self.model = {"user": ModelWallet(), "org": ModelWallet()}
        self.highest_spend_month: dict[str, date | None] = {"user": None, "org": None}
        self.keys = 0
        self.spends_this_month = 0
        for wallet, limit in (("user", user_limit), ("org", org_limit)):
            self.grant(wallet, Decimal(STARTING_BALANCE))
            self.set_limit(wallet, limit)

    def teardown(self) -> None:
        self.engine.dispose()

    @rule(wallet=WALLETS, amount=amounts)
    def grant(self, wallet: str, amount: Decimal) -> None:
        grant = credits.grant_personal_credits if wallet == "user" else credits.grant_org_credits
        with frozen_at(moment_in(self.month)):
            result = grant(self.owners[wallet].id, amount, description="grant")
        self.model[wallet].move(self.month, parse_credits(amount), 0)
        assert int(result.new_balance.scaleb(4)) == self.model[wallet].balance

    @rule(wallet=WALLETS, limit=limits)
    def set_limit(self, wallet: str, limit: Decimal | None) -> None:
        with frozen_at(moment_in(self.month)):
            update_wallet_settings(self.owners[wallet], {"monthly_limit": limit})
        model = self.model[wallet]
        model.limit = None if limit is None else parse_credits(limit)
        model.limit_set_month = self.month
        model.spent_when_limit_set = model.spent_in(self.month)

    @rule(
        target=paid,
        wallet=WALLETS,
        amount=amounts,
        category=categories,
        backdated=st.booleans(),
    )
    def spend(self, wallet: str, amount: Decimal, category: str, backdated: bool) -> object:
        month = self.month - 1 if backdated and self.month > 0 else self.month
        return self._spend(wallet, amount, category, month)

    @rule(target=paid, wallet=WALLETS, category=categories)
    def spend_exactly_the_rest_of_the_limit(self, wallet: str, category: str) -> object:
        model = self.model[wallet]
        if model.limit is None or model.limit <= model.spent_in(self.month):
            return multiple()
        rest = units_to_credits(model.limit - model.spent_in(self.month))
        return self._spend(wallet, rest, category, self.month)

    @rule(wallet=WALLETS)
    def lower_the_limit_below_the_spending(self, wallet: str) -> None:
        spent = self.model[wallet].spent_in(self.month)
        if spent >= 2:
            self.set_limit(wallet, units_to_credits(spent // 2))

    def _spend(self, wallet: str, amount: Decimal, category: str, month: int) -> object:
        model = self.model[wallet]
        units = parse_credits(amount)
        within_limit = model.limit is None or model.spent_in(month) + units <= model.limit
        self.keys += 1
        self.spends_this_month += 1
        key = f"spend-{self.keys}"
        deduct = credits.deduct_personal_credits if wallet == "user" else credits.deduct_org_credits
        try:
            with frozen_at(moment_in(month)):
                result = deduct(
                    self.owners[wallet].id, amount, category=category, idempotency_key=key
                )
        except MonthlyLimitReached:
            event("spend refused: monthly limit")
            assert not within_limit
            return multiple()
        except InsufficientCredits:
            event("spend refused: balance")
            assert within_limit and units > model.balance
            return multiple()
        event(f"spend passed{' (backdated)' if month < self.month else ''}")
        assert within_limit and units <= model.balance
        model.move(month, -units, units)
        assert int(result.new_balance.scaleb(4)) == model.balance
        return (wallet, key, amount, category, result.transaction_id)

    @rule(request=paid)
    def replay(self, request: tuple[str, str, Decimal, str, int]) -> None:
        wallet, key, amount, category, transaction_id = request
        deduct = credits.deduct_personal_credits if wallet == "user" else credits.deduct_org_credits
        with frozen_at(moment_in(self.month)):
            result = deduct(self.owners[wallet].id, amount, category=category, idempotency_key=key)
        assert result.replayed and result.transaction_id == transaction_id

    @rule(wallet=WALLETS, amount=amounts, overdraw=st.booleans())
    def operator_debit(self, wallet: str, amount: Decimal, overdraw: bool) -> None:
        """Not spending: never judged by the limit, even one already passed (overdraw or not)."""
        adjust = adjust_personal_credits if wallet == "user" else adjust_org_credits
        model = self.model[wallet]
        if overdraw:
            amount = units_to_credits(model.balance + 1)
        units = parse_credits(amount)
        try:
            with frozen_at(moment_in(self.month)):
                adjust(self.owners[wallet].id, -amount, reason="fix", operator="ops")
        except InsufficientCredits:
            event("operator debit refused: balance")
            assert units > model.balance
            return
        model.move(self.month, -units, 0)

    @precondition(lambda self: self.spends_this_month > 0 and self.month < 24)
    @rule()
    def next_month(self) -> None:
        """Only after some spending: a month with none has nothing to reset."""
        self.month += 1
        self.spends_this_month = 0

    @invariant()
    def spending_matches_the_ledger_and_the_limit(self) -> None:
        current = first_day(self.month)
        with unit_of_work() as db:  # one read transaction, two queries: this runs every step
            states = {name: require_wallet(db, owner) for name, owner in self.owners.items()}
            rows = db.execute(
                select(entries.c.wallet_id, entries.c.type, entries.c.amount, entries.c.created_at)
            ).all()
        for name, state in states.items():
            model = self.model[name]
            mine = [row for row in rows if row.wallet_id == state.id]
            usage_by_month: Counter[date] = Counter()
            for row in mine:
                if row.type == "usage":
                    usage_by_month[month_of(as_utc(row.created_at))] -= row.amount
            assert state.balance == sum(row.amount for row in mine) == model.balance >= 0
            spent_now = state.spent_in(current)
            assert spent_now == usage_by_month[current] == model.spent_in(self.month)
            if state.spend_month is not None:
                assert state.spent_this_month == usage_by_month[state.spend_month]
                highest = self.highest_spend_month[name]
                assert highest is None or state.spend_month >= highest
                self.highest_spend_month[name] = state.spend_month
            if state.monthly_limit is not None:
                assert state.monthly_limit == model.limit
                set_before_spending = (
                    model.limit_set_month < self.month
                    or model.spent_when_limit_set <= state.monthly_limit
                )
                if set_before_spending:
                    assert spent_now <= state.monthly_limit
                else:  # lowered below what was spent: nothing more may be spent this month
                    assert spent_now == model.spent_when_limit_set


MonthlyLimitMachine.TestCase.settings = settings(
    max_examples=50,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_monthly_limit_matches_in_memory_model = MonthlyLimitMachine.TestCase
