"""Alert rules and the in-app inbox: once per crossing, re-arm, recipients, transactions."""

import pytest
from sqlalchemy import Engine, select

from credits_app.auth.organizations import MANAGER_ROLES, add_member_by_email
from credits_app.credits import credit_service as credits
from credits_app.credits.categories import TransactionType
from credits_app.credits.errors import InvalidCursor
from credits_app.credits.owners import WalletOwner
from credits_app.credits.wallet_settings import update_wallet_settings
from credits_app.db import unit_of_work
from credits_app.notifications import inbox
from credits_app.notifications.alerts import Thresholds, balance_crossing, limit_crossing
from credits_app.notifications.events import EventType
from credits_app.notifications.inbox import NotificationNotFound
from credits_app.notifications.publish import ALERTED_ROLES, events_table
from tests.conftest import make_org, make_user

CREDIT = 10_000
T = Thresholds(low=100 * CREDIT, critical=20 * CREDIT, monthly_limit=None)


@pytest.fixture(autouse=True)
def _database(any_engine: Engine) -> Engine:
    return any_engine


def kinds(user_id: int) -> list[str]:
    """The user's notification kinds, oldest first."""
    page = inbox.list_notifications(user_id, limit=100)
    return [item.kind for item in reversed(page.items)]


def spend(user_id: int, amount: str) -> None:
    credits.deduct_personal_credits(user_id, amount, category="other")


@pytest.mark.parametrize(
    ("before", "after", "event"),
    [
        (150, 100, EventType.BALANCE_LOW),  # at the threshold counts as below
        (150, 101, None),
        (99, 50, None),  # already below: no second alert
        (150, 10, EventType.BALANCE_CRITICAL),  # both crossed: the more severe only
        (50, 20, EventType.BALANCE_CRITICAL),
        (20, 50, None),  # critical -> low is not a recovery
        (20, 101, EventType.BALANCE_RECOVERED),
        (100, 101, EventType.BALANCE_RECOVERED),
    ],
)
def test_balance_crossings_are_judged_from_before_and_after(
    before: int, after: int, event: EventType | None
) -> None:
    assert balance_crossing(before * CREDIT, after * CREDIT, T) == event


def test_no_thresholds_means_no_balance_alerts() -> None:
    assert balance_crossing(10, 0, Thresholds(None, None, None)) is None


@pytest.mark.parametrize(
    ("before", "after", "event"),
    [
        (70, 80, EventType.MONTHLY_LIMIT_WARNING),
        (80, 90, None),
        (79, 100, EventType.MONTHLY_LIMIT_REACHED),
        (90, 100, EventType.MONTHLY_LIMIT_REACHED),
        (100, 100, None),
    ],
)
def test_monthly_limit_crossings(before: int, after: int, event: EventType | None) -> None:
    assert limit_crossing(before, after, 100) == event


def test_a_debit_across_low_fires_once_and_a_top_up_rearms_it() -> None:
    user = make_user()
    credits.grant_personal_credits(user.id, "150", description="start")
    update_wallet_settings(WalletOwner.user(user.id), {"low_threshold": "100"})
    spend(user.id, "60")
    spend(user.id, "10")
    assert kinds(user.id) == ["balance.low"]
    credits.grant_personal_credits(user.id, "100", description="top-up")
    spend(user.id, "80")
    assert kinds(user.id) == ["balance.low", "balance.recovered", "balance.low"]
    [latest, *_] = inbox.list_notifications(user.id).items
    assert latest.title == "Balance is low"
    assert latest.body == "Your wallet is down to 100 credits, below the low threshold of 100."
    assert (latest.wallet_type, latest.wallet_id) == ("user", user.id)


def test_monthly_limit_warning_and_reached_fire_once_each() -> None:
    user = make_user()
    credits.grant_personal_credits(user.id, "1000", description="start")
    update_wallet_settings(WalletOwner.user(user.id), {"monthly_limit": "100"})
    spend(user.id, "50")
    spend(user.id, "30")
    spend(user.id, "10")
    spend(user.id, "10")
    assert kinds(user.id) == ["monthly_limit.warning", "monthly_limit.reached"]


def test_entries_announce_themselves_purchase_and_refund() -> None:
    user = make_user()
    credits.grant_personal_credits(
        user.id, "25", description="Purchase", type=TransactionType.PURCHASE
    )
    credits.grant_personal_credits(user.id, "5", description="Refund", type=TransactionType.REFUND)
    credits.grant_personal_credits(user.id, "5", description="a plain grant")
    assert kinds(user.id) == ["purchase.completed", "refund.created"]


def test_org_alerts_go_to_owners_and_admins_not_members() -> None:
    owner, admin, member = make_user("owner"), make_user("admin"), make_user("member")
    org = make_org(owner)
    add_member_by_email(owner.id, org.id, admin.email, "admin")
    add_member_by_email(owner.id, org.id, member.email, "member")
    credits.grant_org_credits(org.id, "30", description="start")
    update_wallet_settings(WalletOwner.org(org.id), {"low_threshold": "10"})
    credits.deduct_org_credits(org.id, "25", category="other")
    assert kinds(owner.id) == kinds(admin.id) == ["balance.low"]
    assert kinds(member.id) == []
    assert inbox.list_notifications(owner.id).items[0].body.startswith(f"The {org.name} wallet")


def test_the_recipient_roles_are_the_manager_roles() -> None:
    assert set(ALERTED_ROLES) == {role.value for role in MANAGER_ROLES}


def test_a_rolled_back_move_tells_nobody() -> None:
    user = make_user()
    credits.grant_personal_credits(user.id, "150", description="start")
    update_wallet_settings(WalletOwner.user(user.id), {"low_threshold": "100"})
    with pytest.raises(RuntimeError), unit_of_work() as db:
        credits.deduct_personal_credits(user.id, "100", category="other", session=db)
        raise RuntimeError("the use case failed after the debit")
    assert kinds(user.id) == []
    with unit_of_work() as db:
        assert (
            db.execute(select(events_table).where(events_table.c.owner_id == user.id)).all() == []
        )


def test_the_inbox_pages_counts_unread_and_marks_read() -> None:
    user, other = make_user(), make_user()
    for _ in range(3):
        credits.grant_personal_credits(user.id, "1", description="p", type=TransactionType.PURCHASE)
    first = inbox.list_notifications(user.id, limit=2)
    assert (len(first.items), first.unread_count) == (2, 3)
    assert first.next_cursor is not None
    rest = inbox.list_notifications(user.id, limit=2, cursor=first.next_cursor)
    assert len(rest.items) == 1 and rest.next_cursor is None
    inbox.mark_read(user.id, first.items[0].id)
    inbox.mark_read(user.id, first.items[0].id)  # again is fine
    assert inbox.unread_count(user.id) == 2
    with pytest.raises(NotificationNotFound):
        inbox.mark_read(other.id, first.items[0].id)
    assert inbox.mark_all_read(user.id) == 2
    assert inbox.unread_count(user.id) == 0
    assert all(item.read_at is not None for item in inbox.list_notifications(user.id).items)
    with pytest.raises(InvalidCursor):
        inbox.list_notifications(user.id, cursor="x")
