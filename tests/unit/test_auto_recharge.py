"""Auto-recharge in-process on SQLite and Postgres: the built-in Stripe simulator (stripe-python
through the in-process transport), the real webhook code, the job handler run directly.

Each test owns its wallets; the jobs it runs are its wallets' own (found by their dedupe key),
so the shared Postgres database's other jobs are never touched.
"""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select, update
from sqlmodel import col

from credits_app.billing import auto_recharge, payment_methods
from credits_app.billing.auto_recharge_runner import run_auto_recharge
from credits_app.billing.auto_recharge_trigger import AUTO_RECHARGE_JOB
from credits_app.billing.stripe_simulator import save_card_and_notify
from credits_app.clock import frozen_at
from credits_app.credits import credit_service as credits
from credits_app.credits.owners import WalletOwner
from credits_app.db import unit_of_work
from credits_app.jobs.outbox import jobs
from credits_app.jobs.registry import JobContext
from credits_app.models import AutoRechargeAttempt, Notification, SimulatedStripeObject
from credits_app.settings import get_settings
from tests.conftest import make_user

SUCCESS, MASTERCARD = "4242424242424242", "5555555555554444"
DECLINE, AUTH = "4000000000000002", "4000002500003155"


@pytest.fixture(autouse=True)
def _simulator(any_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.setenv("STRIPE_SIMULATOR", "true")
    monkeypatch.delenv("STRIPE_SECRET_KEY", raising=False)
    monkeypatch.setenv("AUTO_RECHARGE_RETRY_PAUSE_SECONDS", "3600")
    get_settings.cache_clear()
    yield any_engine
    get_settings.cache_clear()


def save_card(user_id: int, number: str, owner: WalletOwner | None = None) -> None:
    owner = owner or WalletOwner.user(user_id)
    started = payment_methods.start_card_setup(user_id, owner, return_path="/credits")
    save_card_and_notify(started.session_id, user_id, number)


def enable(user_id: int, threshold: str = "100", to: str = "500", cap: int = 100_000) -> None:
    auto_recharge.put_auto_recharge(
        user_id,
        WalletOwner.user(user_id),
        {"enabled": True, "threshold": threshold, "recharge_to": to, "monthly_cap_cents": cap},
    )


def wallet_id(user_id: int) -> int:
    from credits_app.credits.wallet_service import find_wallet

    with unit_of_work() as db:
        wallet = find_wallet(db, WalletOwner.user(user_id))
        assert wallet is not None
        return wallet.id


def run_jobs(user_id: int) -> int:
    """Run this wallet's pending auto-recharge jobs (as the worker would); how many ran."""
    prefix = f"auto-recharge:{wallet_id(user_id)}:"
    ran = 0
    while True:
        with unit_of_work() as db:
            row = db.execute(
                select(jobs.c.id, jobs.c.payload)
                .where(
                    jobs.c.kind == AUTO_RECHARGE_JOB,
                    jobs.c.status == "pending",
                    jobs.c.dedupe_key.like(prefix + "%"),
                )
                .order_by(jobs.c.id)
                .limit(1)
            ).first()
            if row is None:
                return ran
            db.execute(update(jobs).where(jobs.c.id == row.id).values(status="done"))
        run_auto_recharge(JobContext(row.id, AUTO_RECHARGE_JOB, dict(row.payload), 1, 6))
        ran += 1


def attempts(user_id: int) -> list[AutoRechargeAttempt]:
    wid = wallet_id(user_id)
    with unit_of_work() as db:
        query = (
            select(AutoRechargeAttempt)
            .where(col(AutoRechargeAttempt.wallet_id) == wid)
            .order_by(col(AutoRechargeAttempt.id))
        )
        return list(db.execute(query).scalars())


def intents_created(user_id: int) -> int:
    wid = str(wallet_id(user_id))
    with unit_of_work() as db:
        rows = db.execute(
            select(SimulatedStripeObject.data).where(
                col(SimulatedStripeObject.kind) == "payment_intent"
            )
        ).scalars()
        return sum(1 for data in rows if data["metadata"].get("wallet_id") == wid)


def kinds_notified(user_id: int) -> list[str]:
    with unit_of_work() as db:
        rows = db.execute(
            select(Notification.kind)
            .where(col(Notification.user_id) == user_id)
            .order_by(col(Notification.id))
        ).scalars()
        return [str(kind) for kind in rows if str(kind).startswith("auto_recharge")]


def cents_for(units: int) -> int:
    """The list price of `units` (the catalog may differ between test databases)."""
    with unit_of_work() as db:
        return auto_recharge.list_rate(db).cents_for(units)


def spend(user_id: int, amount: str) -> None:
    credits.deduct(WalletOwner.user(user_id), amount, category="marketplace", description="spend")


def balance(user_id: int) -> str:
    return str(credits.get_personal_balance(user_id))


def test_a_debit_below_the_threshold_recharges_to_the_target_once() -> None:
    user = make_user()
    credits.grant_personal_credits(user.id, "300", description="start")
    save_card(user.id, SUCCESS)
    enable(user.id)
    spend(user.id, "150")
    assert run_jobs(user.id) == 0, "still above the threshold: no job"
    spend(user.id, "100")  # 50 left, below 100
    spend(user.id, "10")  # still below: the same trigger, no second job
    assert run_jobs(user.id) == 1
    assert credits.get_personal_balance(user.id) == 500
    [attempt] = attempts(user.id)
    price = cents_for(4_600_000)
    assert (attempt.status, attempt.amount_cents, attempt.credits) == (
        "succeeded",
        price,
        4_600_000,
    )
    assert kinds_notified(user.id) == ["auto_recharge.succeeded"]
    view = auto_recharge.get_auto_recharge(user.id, WalletOwner.user(user.id))
    assert view.status == "active" and view.charged_this_month_cents == price
    assert view.last_attempt is not None and view.last_attempt.outcome == "succeeded"


def test_three_declines_suspend_until_a_different_card_is_saved() -> None:
    user = make_user()
    credits.grant_personal_credits(user.id, "200", description="start")
    save_card(user.id, DECLINE)
    enable(user.id)
    start = datetime.now(UTC)
    for hour in range(4):
        with frozen_at(start + timedelta(hours=hour, minutes=1)):
            spend(user.id, "40")  # 160, 120, 80, 40 ... only from the 3rd below 100
            run_jobs(user.id)
    with frozen_at(start + timedelta(hours=5)):
        spend(user.id, "1")
        run_jobs(user.id)
    with frozen_at(start + timedelta(hours=6)):
        spend(user.id, "1")
        run_jobs(user.id)
    assert [a.status for a in attempts(user.id)] == ["failed", "failed", "failed"]
    assert intents_created(user.id) == 3, "no 4th PaymentIntent once suspended"
    owner = WalletOwner.user(user.id)
    assert auto_recharge.get_auto_recharge(user.id, owner).status == "suspended"
    assert kinds_notified(user.id)[-2:] == ["auto_recharge.failed", "auto_recharge.suspended"]
    save_card(user.id, DECLINE)  # the same card again: still suspended
    assert auto_recharge.get_auto_recharge(user.id, owner).status == "suspended"
    save_card(user.id, MASTERCARD)
    assert auto_recharge.get_auto_recharge(user.id, owner).status == "active"
    with frozen_at(start + timedelta(hours=7)):
        spend(user.id, "1")
        assert run_jobs(user.id) == 1
    assert credits.get_personal_balance(user.id) == 500


def test_a_failure_pauses_retries_for_the_configured_time() -> None:
    user = make_user()
    credits.grant_personal_credits(user.id, "200", description="start")
    save_card(user.id, DECLINE)
    enable(user.id)
    start = datetime.now(UTC)
    with frozen_at(start):
        spend(user.id, "150")
        assert run_jobs(user.id) == 1
    with frozen_at(start + timedelta(minutes=59)):
        spend(user.id, "1")
        run_jobs(user.id)
    assert len(attempts(user.id)) == 1, "no retry within AUTO_RECHARGE_RETRY_PAUSE_SECONDS"
    with frozen_at(start + timedelta(minutes=61)):
        spend(user.id, "1")
        run_jobs(user.id)
    assert len(attempts(user.id)) == 2


def test_requires_action_notifies_with_a_link_and_never_retries() -> None:
    user = make_user()
    credits.grant_personal_credits(user.id, "200", description="start")
    save_card(user.id, AUTH)
    enable(user.id)
    start = datetime.now(UTC)
    with frozen_at(start):
        spend(user.id, "150")
        run_jobs(user.id)
    for hours in (2, 5, 30):
        with frozen_at(start + timedelta(hours=hours)):
            spend(user.id, "1")
            run_jobs(user.id)
    [attempt] = attempts(user.id)
    assert attempt.status == "requires_action"
    assert attempt.action_url and "/stripe-simulator/checkout/cs_" in attempt.action_url
    assert intents_created(user.id) == 1
    with unit_of_work() as db:
        body = db.execute(
            select(Notification.body).where(
                col(Notification.user_id) == user.id,
                col(Notification.kind) == "auto_recharge.failed",
            )
        ).scalar_one()
    assert attempt.action_url in body


def test_enabling_below_the_threshold_charges_at_once() -> None:
    user = make_user()
    credits.grant_personal_credits(user.id, "20", description="start")
    save_card(user.id, SUCCESS)
    view = auto_recharge.get_auto_recharge(user.id, WalletOwner.user(user.id))
    assert view.status == "off"
    enable(user.id)
    assert run_jobs(user.id) == 1
    assert credits.get_personal_balance(user.id) == 500


def test_the_monthly_cap_limits_one_charge_and_then_stops_until_next_month() -> None:
    user = make_user()
    credits.grant_personal_credits(user.id, "200", description="start")
    save_card(user.id, SUCCESS)
    first = cents_for(4_500_000)
    cap = first + cents_for(1_500_000)  # room for the first charge and 150 credits more
    enable(user.id, cap=cap)
    start = datetime(2031, 3, 1, 9, tzinfo=UTC)
    with frozen_at(start):
        spend(user.id, "150")  # 50 → +450
        run_jobs(user.id)
    with frozen_at(start + timedelta(days=1)):
        spend(user.id, "450")  # 50 → only 150 credits fit the cap
        run_jobs(user.id)
    with frozen_at(start + timedelta(days=2)):
        spend(user.id, "150")
        run_jobs(user.id)
    amounts = [a.amount_cents for a in attempts(user.id)]
    assert len(amounts) == 2 and amounts[0] == first and sum(amounts) <= cap
    assert attempts(user.id)[1].credits == 1_500_000
    with frozen_at(start + timedelta(days=31)):  # April: the cap starts over
        spend(user.id, "1")
        run_jobs(user.id)
    assert [a.amount_cents for a in attempts(user.id)][-1] > 0
    assert len(attempts(user.id)) == 3


def test_removing_the_card_needs_a_payment_method_and_stops_triggers() -> None:
    user = make_user()
    credits.grant_personal_credits(user.id, "200", description="start")
    save_card(user.id, SUCCESS)
    enable(user.id)
    payment_methods.remove_card(user.id, WalletOwner.user(user.id))
    view = auto_recharge.get_auto_recharge(user.id, WalletOwner.user(user.id))
    assert view.status == "needs_payment_method" and view.payment_method is None
    spend(user.id, "150")
    assert run_jobs(user.id) == 0
