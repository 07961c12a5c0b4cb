"""Refund and dispute arithmetic (credits_app/billing/refunds.py), on SQLite and Postgres.

The credits taken back are the refunded share of the purchase, rounded up to a unit and
computed from Stripe's cumulative `amount_refunded`, so partial refunds add up exactly and never
over-round. A balance never goes negative: what cannot be taken is recorded as a shortfall
(elizaOS #10920 kept the credits after a refund; we take them, as far as they are there).
"""

import secrets
from decimal import Decimal

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from credits_app.billing.refunds import (
    ReversalOutcome,
    apply_charge_refund,
    close_dispute,
    hold_for_dispute,
)
from credits_app.credits import credit_service as credits
from credits_app.credits.categories import TransactionType
from credits_app.credits.wallet_service import WalletOwner
from credits_app.db import unit_of_work
from credits_app.models import Purchase
from tests.conftest import make_user
from tests.support.wallets import ledger_totals

UNIT = 10_000  # units per credit
GROWTH_UNITS = 5_500 * UNIT  # 5,500 credits for 4,500 cents: 12,222.2… units per cent
GROWTH_PRICE = 4_500
STARTER_UNITS = 1_000 * UNIT  # 1,000 credits for 1,000 cents
STARTER_PRICE = 1_000


def bought(units: int, price_minor: int) -> tuple[int, str]:
    """A fulfilled purchase credited to a new user: (user id, payment intent id)."""
    user = make_user("refunded")
    intent = "pi_test_" + secrets.token_hex(8)
    result = credits.grant_personal_credits(
        user.id, Decimal(units) / UNIT, description="purchase", type=TransactionType.PURCHASE
    )
    with unit_of_work() as db:
        db.add(
            Purchase(
                owner_kind="user",
                owner_id=user.id,
                buyer_user_id=user.id,
                package_id="test",
                credits=units,
                price_minor=price_minor,
                currency="usd",
                status="fulfilled",
                stripe_session_id="cs_test_" + secrets.token_hex(8),
                stripe_payment_intent_id=intent,
                ledger_entry_id=result.transaction_id,
            )
        )
    return user.id, intent


def stored(intent: str) -> Purchase:
    with unit_of_work() as db:
        query = select(Purchase).where(col(Purchase.stripe_payment_intent_id) == intent)
        return db.exec(query).one()


def balance(user_id: int) -> int:
    """The balance in units, checked against the ledger and never negative."""
    totals = ledger_totals(WalletOwner.user(user_id))
    assert totals.balance == totals.ledger_sum >= 0
    return totals.balance


def spend(user_id: int, units: int) -> None:
    credits.deduct_personal_credits(user_id, Decimal(units) / UNIT, category="ai_usage")


def test_a_partial_refund_takes_back_its_share_rounded_up_to_a_unit(any_engine: Engine) -> None:
    user_id, intent = bought(GROWTH_UNITS, GROWTH_PRICE)

    assert apply_charge_refund(intent, 1) == ReversalOutcome.APPLIED

    assert balance(user_id) == GROWTH_UNITS - 12_223  # 12,222.2… rounds up
    purchase = stored(intent)
    assert (purchase.refunded_minor, purchase.clawed_back, purchase.clawback_shortfall) == (
        1,
        12_223,
        0,
    )


def test_partial_refunds_are_cumulative_and_never_over_round(any_engine: Engine) -> None:
    step_by_step, intent = bought(GROWTH_UNITS, GROWTH_PRICE)
    at_once, other_intent = bought(GROWTH_UNITS, GROWTH_PRICE)

    for amount_refunded in (1, 2, 3):  # Stripe reports the charge's running total
        assert apply_charge_refund(intent, amount_refunded) == ReversalOutcome.APPLIED
    assert apply_charge_refund(other_intent, 3) == ReversalOutcome.APPLIED

    assert balance(step_by_step) == balance(at_once) == GROWTH_UNITS - 36_667  # not 3 x 12,223
    assert stored(intent).clawed_back == 36_667


@pytest.mark.parametrize("late_total", [1, 2])
def test_an_older_or_repeated_total_changes_nothing(any_engine: Engine, late_total: int) -> None:
    user_id, intent = bought(GROWTH_UNITS, GROWTH_PRICE)
    apply_charge_refund(intent, 2)
    before = balance(user_id)

    assert apply_charge_refund(intent, late_total) == ReversalOutcome.ALREADY_APPLIED

    assert balance(user_id) == before
    assert stored(intent).refunded_minor == 2


def test_a_full_refund_takes_exactly_the_purchased_credits(any_engine: Engine) -> None:
    user_id, intent = bought(GROWTH_UNITS, GROWTH_PRICE)
    credits.grant_personal_credits(user_id, "10", description="other credits")
    apply_charge_refund(intent, 1)

    assert apply_charge_refund(intent, GROWTH_PRICE) == ReversalOutcome.APPLIED
    assert apply_charge_refund(intent, GROWTH_PRICE + 1) == ReversalOutcome.APPLIED  # capped

    assert balance(user_id) == 10 * UNIT
    assert stored(intent).clawed_back == GROWTH_UNITS


def test_a_refund_after_spending_stops_at_zero_and_records_the_shortfall(
    any_engine: Engine,
) -> None:
    user_id, intent = bought(STARTER_UNITS, STARTER_PRICE)
    spend(user_id, 700 * UNIT)

    assert apply_charge_refund(intent, 500) == ReversalOutcome.APPLIED  # owes 500, has 300
    assert balance(user_id) == 0
    purchase = stored(intent)
    assert (purchase.clawed_back, purchase.clawback_shortfall) == (300 * UNIT, 200 * UNIT)

    credits.grant_personal_credits(user_id, "1000", description="a later top-up")
    assert apply_charge_refund(intent, 1_000) == ReversalOutcome.APPLIED  # owes 500 more

    assert balance(user_id) == 500 * UNIT  # the old shortfall is not collected from the top-up
    purchase = stored(intent)
    assert (purchase.clawed_back, purchase.clawback_shortfall) == (800 * UNIT, 200 * UNIT)
    history = credits.get_history(WalletOwner.user(user_id), limit=100).items
    shortfalls = [item.metadata.get("shortfall") for item in history if item.type == "refund"]
    assert sorted(shortfalls, key=lambda value: value is not None) == [None, 200 * UNIT]


def test_a_refund_of_an_unknown_or_unfulfilled_payment_does_nothing(any_engine: Engine) -> None:
    assert apply_charge_refund("pi_test_unknown", 100) == ReversalOutcome.UNKNOWN_PAYMENT
    assert hold_for_dispute("pi_test_unknown", "dp_x", 100) == ReversalOutcome.UNKNOWN_PAYMENT
    assert close_dispute("pi_test_unknown", "dp_x", won=True) == ReversalOutcome.UNKNOWN_PAYMENT


def test_a_dispute_hold_is_capped_by_what_is_left_after_refunds(any_engine: Engine) -> None:
    user_id, intent = bought(STARTER_UNITS, STARTER_PRICE)
    credits.grant_personal_credits(user_id, "5000", description="other credits")
    apply_charge_refund(intent, 400)

    assert hold_for_dispute(intent, "dp_1", STARTER_PRICE) == ReversalOutcome.APPLIED

    assert stored(intent).disputed_held == 600 * UNIT  # not the full 1,000
    assert balance(user_id) == 5_000 * UNIT
    assert close_dispute(intent, "dp_1", won=True) == ReversalOutcome.APPLIED
    assert balance(user_id) == 5_600 * UNIT


def test_a_dispute_hold_does_not_collect_an_earlier_refund_shortfall(any_engine: Engine) -> None:
    """Half refunded while the buyer had only 200 of 500 owed: 300 were recorded as shortfall.
    A later dispute over the full amount may hold at most the unrefunded half, not 800."""
    user_id, intent = bought(STARTER_UNITS, STARTER_PRICE)
    spend(user_id, 800 * UNIT)
    apply_charge_refund(intent, 500)
    credits.grant_personal_credits(user_id, "5000", description="other credits")

    assert hold_for_dispute(intent, "dp_1", STARTER_PRICE) == ReversalOutcome.APPLIED

    purchase = stored(intent)
    assert purchase.disputed_held == 500 * UNIT
    assert purchase.clawed_back + purchase.clawback_shortfall + purchase.disputed_held == (
        STARTER_UNITS
    )
    assert balance(user_id) == 4_500 * UNIT


def test_a_dispute_hold_never_goes_below_zero(any_engine: Engine) -> None:
    user_id, intent = bought(STARTER_UNITS, STARTER_PRICE)
    spend(user_id, 900 * UNIT)

    assert hold_for_dispute(intent, "dp_1", STARTER_PRICE) == ReversalOutcome.APPLIED

    assert balance(user_id) == 0
    assert stored(intent).disputed_held == 100 * UNIT
    assert close_dispute(intent, "dp_1", won=True) == ReversalOutcome.APPLIED
    assert balance(user_id) == 100 * UNIT  # only what was held comes back


@pytest.mark.parametrize("won", [True, False])
def test_a_dispute_is_held_once_and_closed_once(any_engine: Engine, won: bool) -> None:
    user_id, intent = bought(STARTER_UNITS, STARTER_PRICE)

    assert close_dispute(intent, "dp_1", won=won) == ReversalOutcome.ALREADY_APPLIED  # not open
    assert hold_for_dispute(intent, "dp_1", 250) == ReversalOutcome.APPLIED
    assert hold_for_dispute(intent, "dp_1", 250) == ReversalOutcome.ALREADY_APPLIED
    assert balance(user_id) == 750 * UNIT
    assert close_dispute(intent, "dp_1", won=won) == ReversalOutcome.APPLIED
    assert close_dispute(intent, "dp_1", won=won) == ReversalOutcome.ALREADY_APPLIED

    assert balance(user_id) == (STARTER_UNITS if won else 750 * UNIT)
    purchase = stored(intent)
    assert purchase.dispute_status == ("won" if won else "lost")
    assert (purchase.disputed_held, purchase.clawed_back) == (0 if won else 250 * UNIT, 0)


@pytest.mark.parametrize("order", ["refund first", "dispute lost first"])
def test_a_refund_and_a_lost_dispute_take_back_the_purchase_once_in_any_order(
    any_engine: Engine, order: str
) -> None:
    """30% refunded, then the other 70% disputed and lost: the buyer has all the money back, so
    all the purchased credits go, once. Stripe may deliver the refund event last (retries after
    an outage); that must neither record a negative shortfall nor skip the refund."""
    user_id, intent = bought(STARTER_UNITS, STARTER_PRICE)
    credits.grant_personal_credits(user_id, "5000", description="other credits")

    def refund() -> None:
        assert apply_charge_refund(intent, 300) == ReversalOutcome.APPLIED

    def dispute_lost() -> None:
        assert hold_for_dispute(intent, "dp_1", 700) == ReversalOutcome.APPLIED
        assert close_dispute(intent, "dp_1", won=False) == ReversalOutcome.APPLIED

    for step in (refund, dispute_lost) if order == "refund first" else (dispute_lost, refund):
        step()
    assert apply_charge_refund(intent, 1_000) == ReversalOutcome.APPLIED  # an odd full refund

    assert balance(user_id) == 5_000 * UNIT
    purchase = stored(intent)
    assert purchase.clawback_shortfall == 0
    assert (purchase.clawed_back, purchase.disputed_held) == (300 * UNIT, 700 * UNIT)
