"""Spending on behalf of platform services: namespaced keys bound to one wallet, no fallback."""

import uuid
from decimal import Decimal

import pytest
from sqlalchemy import select

from credits_app.credits import credit_service as credits
from credits_app.credits.errors import (
    IdempotencyConflict,
    InsufficientCredits,
    InvalidCategory,
    MonthlyLimitReached,
    WalletNotFound,
)
from credits_app.credits.service_deductions import SERVICE_KEY_PREFIX, deduct_for_service
from credits_app.credits.wallet_service import WalletOwner, entries
from credits_app.credits.wallet_settings import update_wallet_settings
from credits_app.db import unit_of_work
from tests.conftest import make_org, make_user
from tests.support.wallets import ledger_totals

pytestmark = pytest.mark.usefixtures("any_engine")


class _UniqueKeys(dict[str, str]):
    """Service keys are bound to one wallet across the whole database, and the Postgres database
    is shared by the session's tests: each test gets its own key text per name."""

    def __missing__(self, name: str) -> str:
        self[name] = f"{name}-{uuid.uuid4().hex[:12]}"
        return self[name]


KEYS: _UniqueKeys = _UniqueKeys()


@pytest.fixture(autouse=True)
def _fresh_keys() -> None:
    KEYS.clear()


def funded_user(balance: str = "100") -> WalletOwner:
    user = make_user("service")
    credits.grant_personal_credits(user.id, balance, description="funding")
    return WalletOwner.user(user.id)


def funded_org(balance: str = "100") -> WalletOwner:
    org = make_org(make_user("owner"))
    credits.grant_org_credits(org.id, balance, description="funding")
    return WalletOwner.org(org.id)


def keys_of(owner: WalletOwner) -> list[str | None]:
    items = credits.get_history(owner, limit=100).items
    with unit_of_work() as db:
        return list(
            db.execute(
                select(entries.c.idempotency_key)
                .where(entries.c.id.in_([item.id for item in items]))
                .order_by(entries.c.id)
            ).scalars()
        )


def test_a_deduction_spends_the_named_wallet_and_reports_the_new_balance() -> None:
    owner = funded_user()
    result = deduct_for_service(owner, "12.5", category="marketplace", description="bot #7")
    assert (result.amount, result.new_balance, result.replayed) == (
        Decimal("-12.5"),
        Decimal("87.5"),
        False,
    )
    item = credits.get_history(owner).items[0]
    assert (item.id, item.type, item.category, item.description) == (
        result.transaction_id,
        "usage",
        "marketplace",
        "bot #7",
    )


def test_a_replayed_key_returns_the_original_result_and_spends_once() -> None:
    owner = funded_user()
    request = {"category": "premium_feature", "description": "pro", "metadata": {"plan": "pro"}}
    first = deduct_for_service(owner, "30", idempotency_key=KEYS["sub-2026-03"], **request)  # type: ignore[arg-type]
    deduct_for_service(owner, "1", category="other")
    again = deduct_for_service(owner, "30", idempotency_key=KEYS["sub-2026-03"], **request)  # type: ignore[arg-type]
    assert again.replayed and not first.replayed
    assert (again.transaction_id, again.new_balance) == (first.transaction_id, Decimal("70"))
    totals = ledger_totals(owner)
    assert (totals.balance, totals.entry_count) == (690_000, 3)


@pytest.mark.parametrize(
    "changed",
    [{"amount": "31"}, {"category": "subscription"}, {"description": "x"}, {"metadata": {"a": 1}}],
)
def test_the_same_key_with_a_different_request_conflicts(changed: dict[str, object]) -> None:
    owner = funded_user()
    request: dict[str, object] = {"amount": "30", "category": "marketplace", "description": "d"}
    deduct_for_service(owner, idempotency_key=KEYS["order-9"], **request)  # type: ignore[arg-type]
    with pytest.raises(IdempotencyConflict) as conflict:
        deduct_for_service(owner, idempotency_key=KEYS["order-9"], **(request | changed))  # type: ignore[arg-type]
    assert conflict.value.code == "idempotency_conflict"
    assert ledger_totals(owner).balance == 700_000


def test_a_same_wallet_conflict_names_the_key_the_caller_sent() -> None:
    """Regression: the ledger's own conflict named the stored key, `service:<key>`."""
    owner = funded_user()
    deduct_for_service(owner, "30", category="marketplace", idempotency_key=KEYS["order-9"])
    with pytest.raises(IdempotencyConflict) as conflict:
        deduct_for_service(owner, "31", category="marketplace", idempotency_key=KEYS["order-9"])
    assert conflict.value.details == {"idempotencyKey": KEYS["order-9"]}


@pytest.mark.parametrize("other_kind", ["user", "org"])
def test_a_key_used_on_another_wallet_conflicts_and_names_the_original_key(
    other_kind: str,
) -> None:
    first = funded_user()
    other = funded_user() if other_kind == "user" else funded_org()
    deduct_for_service(first, "5", category="marketplace", idempotency_key=KEYS["order-1"])
    before = ledger_totals(other)
    with pytest.raises(IdempotencyConflict) as conflict:
        deduct_for_service(other, "5", category="marketplace", idempotency_key=KEYS["order-1"])
    assert conflict.value.code == "idempotency_conflict"
    assert conflict.value.details == {"idempotencyKey": KEYS["order-1"]}
    assert ledger_totals(other) == before
    assert ledger_totals(first).balance == 950_000


def test_a_key_refused_for_a_short_wallet_stays_free_for_that_wallet() -> None:
    owner = funded_user("1")
    with pytest.raises(InsufficientCredits):
        deduct_for_service(owner, "5", category="other", idempotency_key=KEYS["retry-me"])
    credits.grant_personal_credits(owner.id, "10", description="top-up")
    assert not deduct_for_service(
        owner, "5", category="other", idempotency_key=KEYS["retry-me"]
    ).replayed


def test_a_personal_deduction_never_falls_back_to_the_org_wallet() -> None:
    user = make_user("member")
    org = make_org(user)
    credits.grant_org_credits(org.id, "1000", description="org funds")
    with pytest.raises(InsufficientCredits) as short:
        deduct_for_service(WalletOwner.user(user.id), "1", category="ai_usage")
    assert short.value.details == {"required": Decimal("1"), "available": Decimal("0")}
    assert ledger_totals(WalletOwner.org(org.id)).balance == 10_000_000


def test_an_org_deduction_never_falls_back_to_a_members_wallet() -> None:
    user = make_user("member")
    org = make_org(user)
    credits.grant_personal_credits(user.id, "1000", description="personal funds")
    with pytest.raises(InsufficientCredits):
        deduct_for_service(WalletOwner.org(org.id), "1", category="ai_usage")
    assert ledger_totals(WalletOwner.user(user.id)).balance == 10_000_000


def test_keys_are_namespaced_so_app_keys_never_collide_with_service_keys() -> None:
    owner = funded_user()
    deduct_for_service(owner, "2", category="marketplace", idempotency_key=KEYS["order-7"])
    # The app's own key with the same text is a different request, not a conflict or a replay.
    app = credits.deduct_personal_credits(
        owner.id, "3", category="other", idempotency_key=KEYS["order-7"]
    )
    assert not app.replayed
    assert keys_of(owner) == [None, SERVICE_KEY_PREFIX + KEYS["order-7"], KEYS["order-7"]]
    assert ledger_totals(owner).balance == 950_000


def test_service_spending_honours_the_monthly_limit() -> None:
    owner = funded_org()
    update_wallet_settings(owner, {"monthly_limit": "10"})
    deduct_for_service(owner, "10", category="subscription", idempotency_key=KEYS["plan"])
    with pytest.raises(MonthlyLimitReached):
        deduct_for_service(owner, "0.0001", category="subscription")
    # A replay of what was already paid is still answered.
    assert deduct_for_service(
        owner, "10", category="subscription", idempotency_key=KEYS["plan"]
    ).replayed


def test_unknown_wallets_and_categories_are_refused() -> None:
    with pytest.raises(WalletNotFound):
        deduct_for_service(WalletOwner.org(987_654), "1", category="other", idempotency_key="k")
    owner = funded_user()
    with pytest.raises(InvalidCategory):
        deduct_for_service(owner, "1", category="groceries")
    assert ledger_totals(owner).entry_count == 1
