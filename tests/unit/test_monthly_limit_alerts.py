"""monthly_limit.reached for spends the limit refuses: told once a month, after the rollback.

A refused spend's own transaction rolls back (nothing moved), so the event is published in a
transaction of its own afterwards; a crossing that reaches the limit exactly and any number of
refusals share one dedupe key per wallet, month and limit value.
"""

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select

from credits_app.auth.organizations import add_member_by_email
from credits_app.clock import frozen_at
from credits_app.credits import credit_holds
from credits_app.credits import credit_service as credits
from credits_app.credits.errors import InsufficientCredits, MonthlyLimitReached
from credits_app.credits.owners import WalletOwner
from credits_app.credits.wallet_settings import update_wallet_settings
from credits_app.db import unit_of_work
from credits_app.notifications import inbox
from credits_app.notifications.publish import events_table
from tests.conftest import make_org, make_user

JUNE = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
JULY = datetime(2026, 7, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _database(any_engine: Engine) -> Engine:
    return any_engine


def kinds(user_id: int) -> list[str]:
    return [item.kind for item in reversed(inbox.list_notifications(user_id, limit=100).items)]


def refused_spend(user_id: int, amount: str) -> MonthlyLimitReached:
    with pytest.raises(MonthlyLimitReached) as refused:
        credits.deduct_personal_credits(user_id, amount, category="ai_usage")
    return refused.value


def reached_events(owner: WalletOwner) -> list[dict[str, object]]:
    with unit_of_work() as db:
        rows = db.execute(
            select(events_table.c.data)
            .where(
                events_table.c.type == "monthly_limit.reached",
                events_table.c.owner_kind == owner.kind.value,
                events_table.c.owner_id == owner.id,
            )
            .order_by(events_table.c.id)
        ).scalars()
        return list(rows)


def test_a_refused_spend_fires_reached_once_and_nothing_is_spent() -> None:
    user = make_user()
    owner = WalletOwner.user(user.id)
    with frozen_at(JUNE):
        credits.grant_personal_credits(user.id, "500", description="start")
        update_wallet_settings(owner, {"monthly_limit": "100"})
        credits.deduct_personal_credits(user.id, "60", category="ai_usage")
        refused_spend(user.id, "50")  # 110 > 100: refused before reaching the limit
        refused_spend(user.id, "45")
        refused_spend(user.id, "41")
        assert kinds(user.id) == ["monthly_limit.reached"]
        assert reached_events(owner) == [
            {
                "wallet": {"type": "user", "id": user.id},
                "used": "60.0000",
                "limit": "100.0000",
                "refused": "50.0000",
            }
        ]
        assert credits.get_personal_balance(user.id) == 440
        latest = inbox.list_notifications(user.id).items[0]
        assert latest.title == "Monthly limit reached"
        # spending up to the limit exactly is a crossing: the same month's key, no second alert
        credits.deduct_personal_credits(user.id, "40", category="ai_usage")
        refused_spend(user.id, "1")
        assert kinds(user.id) == ["monthly_limit.reached"]


def test_a_new_month_or_a_new_limit_rearms_it() -> None:
    user = make_user()
    owner = WalletOwner.user(user.id)
    with frozen_at(JUNE):
        credits.grant_personal_credits(user.id, "1000", description="start")
        update_wallet_settings(owner, {"monthly_limit": "100"})
        refused_spend(user.id, "150")
        update_wallet_settings(owner, {"monthly_limit": "120"})  # raised: a new limit to reach
        refused_spend(user.id, "150")
        refused_spend(user.id, "150")
    with frozen_at(JULY):
        refused_spend(user.id, "150")
    assert kinds(user.id) == ["monthly_limit.reached"] * 3
    assert [event["limit"] for event in reached_events(owner)] == [
        "100.0000",
        "120.0000",
        "120.0000",
    ]


def test_a_refusal_for_want_of_credits_is_not_a_limit_event() -> None:
    user = make_user()
    credits.grant_personal_credits(user.id, "5", description="start")
    update_wallet_settings(WalletOwner.user(user.id), {"monthly_limit": "100"})
    with pytest.raises(InsufficientCredits):
        credits.deduct_personal_credits(user.id, "50", category="ai_usage")
    assert kinds(user.id) == []


def test_a_hold_refused_by_the_limit_tells_the_org_managers_not_members() -> None:
    owner, member = make_user("owner"), make_user("member")
    org = make_org(owner)
    add_member_by_email(owner.id, org.id, member.email, "member")
    wallet = WalletOwner.org(org.id)
    credits.grant_org_credits(org.id, "100", description="start")
    update_wallet_settings(wallet, {"monthly_limit": "10"})
    with pytest.raises(MonthlyLimitReached):
        credit_holds.place_hold(wallet, 20 * 10_000)
    assert kinds(owner.id) == ["monthly_limit.reached"]
    assert kinds(member.id) == []


def test_the_refusal_carries_its_report_only_until_a_transaction_has_run_it() -> None:
    user = make_user()
    credits.grant_personal_credits(user.id, "50", description="start")
    update_wallet_settings(WalletOwner.user(user.id), {"monthly_limit": "10"})
    error = refused_spend(user.id, "20")
    assert error.after_rollback == []  # run (once) by the transaction it escaped
    assert kinds(user.id) == ["monthly_limit.reached"]
