"""Saved cards and auto-recharge over HTTP against the real stripe-python client and the fake
Stripe server (the simulator behind a socket), on Postgres when configured (always in CI).

The app under test (`stripe_api`) takes the debits, the webhooks and the API calls; the
auto-recharge job runs in this process with the real worker (only that job kind registered,
so other tests' jobs in the shared database are left alone) and its Stripe calls go over HTTP
to the fake, which records every request and the events Stripe would send.
"""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlmodel import col

from credits_app.billing import auto_recharge
from credits_app.billing.auto_recharge_runner import run_auto_recharge
from credits_app.billing.auto_recharge_trigger import AUTO_RECHARGE_JOB
from credits_app.billing.stripe_simulator import complete_setup_session
from credits_app.clock import frozen_at
from credits_app.credits.owners import WalletOwner
from credits_app.credits.wallet_service import find_wallet
from credits_app.db import unit_of_work
from credits_app.jobs.outbox import jobs
from credits_app.jobs.registry import JobContext, Registry
from credits_app.jobs.worker import Worker, WorkerOptions
from credits_app.models import AutoRechargeAttempt, Notification
from credits_app.settings import get_settings
from tests.support.api_client import ApiClient, ApiUser, assert_error, fund_user
from tests.support.fake_stripe_server import FakeStripeServer
from tests.support.stripe_events import entry_types, signed

SUCCESS, MASTERCARD = "4242424242424242", "5555555555554444"
DECLINE, AUTH = "4000000000000002", "4000002500003155"
INTENTS = "/v1/payment_intents"


@pytest.fixture
def api(stripe_api_client: ApiClient, stripe_in_process: None) -> Iterator[ApiClient]:
    """The Stripe-configured app; this process's job handler talks to the same fake Stripe."""
    yield stripe_api_client


def save_card(api: ApiClient, user: ApiUser, number: str, org_id: int | None = None) -> None:
    """POST …/payment-method, the buyer saves `number` in Checkout, Stripe's event arrives."""
    path = "/api/credits" if org_id is None else f"/api/orgs/{org_id}/credits"
    response = api.http.post(f"{path}/payment-method", headers=user.headers)
    assert response.status_code == 200, response.text
    assert response.json()["checkoutUrl"]
    session = complete_setup_session(response.json()["sessionId"], number)
    delivery = signed("checkout.session.completed", session)
    assert delivery.post(api.http).status_code == 200


def put_rule(
    api: ApiClient,
    user: ApiUser,
    *,
    enabled: bool = True,
    threshold: str = "100",
    to: str = "500",
    cap: int = 100_000,
    org_id: int | None = None,
) -> dict[str, Any]:
    path = "/api/credits" if org_id is None else f"/api/orgs/{org_id}/credits"
    body = {"enabled": enabled, "threshold": threshold, "rechargeTo": to, "monthlyCapCents": cap}
    response = api.http.put(f"{path}/auto-recharge", json=body, headers=user.headers)
    assert response.status_code == 200, response.text
    rule: dict[str, Any] = response.json()
    return rule


def rule_of(api: ApiClient, user: ApiUser) -> dict[str, Any]:
    response = api.http.get("/api/credits/auto-recharge", headers=user.headers)
    assert response.status_code == 200, response.text
    rule: dict[str, Any] = response.json()
    return rule


def spend(api: ApiClient, user: ApiUser, amount: str, key: str) -> None:
    response = api.service_deduct(
        {"wallet": {"type": "user", "id": user.id}, "amount": amount, "category": "marketplace"},
        idempotency_key=key,
    )
    assert response.status_code == 200, response.text


def wallet_id(user: ApiUser) -> int:
    with unit_of_work() as db:
        wallet = find_wallet(db, WalletOwner.user(user.id))
        assert wallet is not None
        return wallet.id


def run_recharge_jobs(user: ApiUser) -> int:
    """This wallet's queued recharges, run by the job handler at this process's `utcnow()`."""
    prefix = f"auto-recharge:{wallet_id(user)}:"
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


def cents_for(units: int) -> int:
    """The list price of `units` (other tests may have changed the shared catalog)."""
    with unit_of_work() as db:
        return auto_recharge.list_rate(db).cents_for(units)


def intents_for(fake: FakeStripeServer, user: ApiUser) -> list[Any]:
    wid = str(wallet_id(user))
    return [
        r for r in fake.requests_to("POST", INTENTS) if r.params["metadata"]["wallet_id"] == wid
    ]


def attempts(user: ApiUser) -> list[AutoRechargeAttempt]:
    wid = wallet_id(user)
    with unit_of_work() as db:
        query = (
            select(AutoRechargeAttempt)
            .where(col(AutoRechargeAttempt.wallet_id) == wid)
            .order_by(col(AutoRechargeAttempt.id))
        )
        return list(db.execute(query).scalars())


def notified(user: ApiUser) -> list[str]:
    with unit_of_work() as db:
        rows = db.execute(
            select(Notification.kind)
            .where(col(Notification.user_id) == user.id)
            .order_by(col(Notification.id))
        ).scalars()
        return [str(kind) for kind in rows if str(kind).startswith("auto_recharge")]


def test_a_saved_card_shows_brand_and_last4_and_can_be_removed(api: ApiClient) -> None:
    user = api.register("card")
    assert api.http.get("/api/credits/payment-method", headers=user.headers).json() == {
        "paymentMethod": None
    }
    save_card(api, user, MASTERCARD)
    card = api.http.get("/api/credits/payment-method", headers=user.headers).json()
    assert card["paymentMethod"]["brand"] == "mastercard"
    assert card["paymentMethod"]["last4"] == "4444"
    rule = put_rule(api, user)
    assert rule["status"] == "active" and rule["paymentMethod"] == {
        "brand": "mastercard",
        "last4": "4444",
    }
    assert set(rule) == {
        "enabled",
        "threshold",
        "rechargeTo",
        "monthlyCapCents",
        "status",
        "paymentMethod",
        "lastAttempt",
        "chargedThisMonthCents",
    }
    assert api.http.delete("/api/credits/payment-method", headers=user.headers).status_code == 204
    assert rule_of(api, user)["status"] == "needs_payment_method"
    missing = api.http.delete("/api/credits/payment-method", headers=user.headers)
    assert_error(missing, 404, "payment_method_not_found")


def test_bad_rules_are_refused_and_change_nothing(api: ApiClient) -> None:
    user = api.register("rules")
    for body in (
        {"enabled": True, "threshold": "100", "rechargeTo": "50", "monthlyCapCents": 100},
        {"enabled": True, "threshold": "-1", "rechargeTo": "50", "monthlyCapCents": 100},
        {"enabled": True, "threshold": "1", "rechargeTo": "50", "monthlyCapCents": 0},
        {"enabled": "yes", "threshold": "1", "rechargeTo": "50", "monthlyCapCents": 10},
    ):
        response = api.http.put("/api/credits/auto-recharge", json=body, headers=user.headers)
        assert response.status_code in (400, 422), response.text
    assert rule_of(api, user)["status"] == "off" and rule_of(api, user)["threshold"] is None


def test_org_members_read_the_rule_and_only_managers_change_it(api: ApiClient) -> None:
    owner, member, outsider = api.register("owner"), api.register("member"), api.register("out")
    org = api.create_org(owner)
    api.add_member(owner, org["id"], member, "member")
    base = f"/api/orgs/{org['id']}/credits"
    body = {"enabled": True, "threshold": "10", "rechargeTo": "50", "monthlyCapCents": 1000}
    assert (
        api.http.put(f"{base}/auto-recharge", json=body, headers=owner.headers).status_code == 200
    )
    assert api.http.get(f"{base}/auto-recharge", headers=member.headers).json()["enabled"] is True
    assert_error(
        api.http.put(f"{base}/auto-recharge", json=body, headers=member.headers), 403, "forbidden"
    )
    assert_error(api.http.post(f"{base}/payment-method", headers=member.headers), 403, "forbidden")
    assert_error(
        api.http.get(f"{base}/auto-recharge", headers=outsider.headers), 404, "org_not_found"
    )
    assert_error(
        api.http.post(f"{base}/payment-method", headers=outsider.headers), 404, "org_not_found"
    )


def test_a_crossing_recharges_once_despite_16_concurrent_debits_and_5_duplicate_webhooks(
    api: ApiClient, fake_stripe: FakeStripeServer
) -> None:
    user = api.register("crossing")
    fund_user(user, "300")
    save_card(api, user, SUCCESS)
    put_rule(api, user, threshold="100", to="500")
    with ThreadPoolExecutor(16) as pool:  # 16 x 15 = 240: all cross together, 60 left
        list(pool.map(lambda i: spend(api, user, "15", f"cross-{user.id}-{i}"), range(16)))
    assert api.balance(user) == 60
    registry = Registry()
    registry.register(AUTO_RECHARGE_JOB, run_auto_recharge)
    worker = Worker(registry, WorkerOptions(run_periodic=False))
    while worker.run_due():
        pass
    assert api.balance(user) == 500
    [intent_request] = intents_for(fake_stripe, user)
    assert intent_request.params["confirm"] == "true"
    assert intent_request.params["off_session"] == "true"
    price = cents_for(4_400_000)
    assert intent_request.params["amount"] == str(price) and intent_request.idempotency_key
    [(_, intent)] = [
        e
        for e in fake_stripe.events("payment_intent.succeeded")
        if e[1]["metadata"]["wallet_id"] == str(wallet_id(user))
    ]
    deliveries = [signed("payment_intent.succeeded", intent) for _ in range(3)]
    deliveries += [deliveries[0], deliveries[1]]  # redelivered identically
    with ThreadPoolExecutor(5) as pool:
        codes = list(pool.map(lambda d: d.post(api.http).status_code, deliveries))
    assert codes == [200] * 5
    assert api.balance(user) == 500
    assert entry_types(WalletOwner.user(user.id)).count("purchase") == 1
    rule = rule_of(api, user)
    assert rule["lastAttempt"]["outcome"] == "succeeded"
    assert rule["chargedThisMonthCents"] == price
    assert notified(user) == ["auto_recharge.succeeded"]


def test_three_declines_suspend_with_no_fourth_charge_and_a_new_card_resumes(
    api: ApiClient, fake_stripe: FakeStripeServer
) -> None:
    user = api.register("declined")
    fund_user(user, "200")
    save_card(api, user, DECLINE)
    put_rule(api, user)
    pause = get_settings().auto_recharge_retry_pause_seconds
    start = datetime.now(UTC) - timedelta(seconds=6 * pause + 3600)  # the pauses are over now
    spend(api, user, "150", f"decline-{user.id}-0")
    for step in range(6):
        with frozen_at(start + timedelta(seconds=step * (pause + 60))):
            run_recharge_jobs(user)
        spend(api, user, "1", f"decline-{user.id}-{step + 1}")
    assert len(intents_for(fake_stripe, user)) == 3, "no 4th PaymentIntent once suspended"
    assert [a.status for a in attempts(user)] == ["failed"] * 3
    rule = rule_of(api, user)
    assert rule["status"] == "suspended" and rule["lastAttempt"]["outcome"] == "failed"
    assert notified(user)[-2:] == ["auto_recharge.failed", "auto_recharge.suspended"]
    failed = [
        e
        for e in fake_stripe.events("payment_intent.payment_failed")
        if e[1]["metadata"]["wallet_id"] == str(wallet_id(user))
    ]
    for _, intent in failed:  # Stripe's own failure events change nothing more
        assert signed("payment_intent.payment_failed", intent).post(api.http).status_code == 200
    assert rule_of(api, user)["status"] == "suspended"
    save_card(api, user, DECLINE)  # the same card (same fingerprint): still suspended
    assert rule_of(api, user)["status"] == "suspended"
    save_card(api, user, MASTERCARD)
    assert rule_of(api, user)["status"] == "active"
    spend(api, user, "1", f"decline-{user.id}-new-card")
    assert run_recharge_jobs(user) == 1
    assert api.balance(user) == 500


def test_requires_action_notifies_with_a_checkout_link_and_is_never_retried(
    api: ApiClient, fake_stripe: FakeStripeServer
) -> None:
    user = api.register("action")
    fund_user(user, "200")
    save_card(api, user, AUTH)
    put_rule(api, user)
    spend(api, user, "150", f"action-{user.id}-0")
    start = datetime.now(UTC) - timedelta(days=3)
    for step in range(4):
        with frozen_at(start + timedelta(hours=step * 12)):
            run_recharge_jobs(user)
        spend(api, user, "1", f"action-{user.id}-{step + 1}")
    assert run_recharge_jobs(user) == 0
    assert len(intents_for(fake_stripe, user)) == 1
    [attempt] = attempts(user)
    assert attempt.status == "requires_action" and attempt.action_url
    assert rule_of(api, user)["lastAttempt"]["outcome"] == "requires_action"
    response = api.http.get("/api/notifications", headers=user.headers).json()
    [note] = [n for n in response["items"] if n["kind"] == "auto_recharge.failed"]
    assert attempt.action_url in note["body"]
    assert api.balance(user) == 46


def test_the_monthly_cap_is_never_exceeded_across_a_month_of_triggers(
    api: ApiClient, fake_stripe: FakeStripeServer
) -> None:
    user = api.register("capped")
    fund_user(user, "200")
    save_card(api, user, SUCCESS)
    cap = 4 * cents_for(4_500_000) + cents_for(2_000_000)  # 4 full charges and a cut-down one
    put_rule(api, user, threshold="100", to="500", cap=cap)
    now = datetime.now(UTC)
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    for trigger in range(30):  # 30 triggers spread over the month so far, 11+ minutes apart
        moment = month_start + max(
            (now - month_start) * trigger / 30, timedelta(minutes=11 * trigger)
        )
        amount = max(api.balance(user) - Decimal(50), Decimal(1))  # to 50, or on below it
        spend(api, user, str(amount), f"cap-{user.id}-{trigger}")
        with frozen_at(moment):
            run_recharge_jobs(user)
    charged = [int(r.params["amount"]) for r in intents_for(fake_stripe, user)]
    assert sum(charged) <= cap
    assert sum(a.amount_cents for a in attempts(user) if a.status == "succeeded") <= cap
    assert rule_of(api, user)["chargedThisMonthCents"] == sum(charged)
    assert len(charged) >= 5, "the charge that would pass the cap is cut down, not skipped"
    assert cap - sum(charged) <= cents_for(1), "nothing more fits"
