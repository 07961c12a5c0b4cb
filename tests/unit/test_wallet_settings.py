"""Wallet settings (monthly limit, low/critical thresholds) and the balance overview they drive."""

from decimal import Decimal

import pytest

from credits_app.credits import credit_service as credits
from credits_app.credits.amounts import AmountInput
from credits_app.credits.errors import InvalidAmount, InvalidArgument, WalletNotFound
from credits_app.credits.wallet_service import WalletOwner
from credits_app.credits.wallet_settings import (
    BalanceStatus,
    SettingsChange,
    WalletSettings,
    get_balance_overview,
    update_wallet_settings,
)
from tests.conftest import make_org, make_user
from tests.support.wallets import wallet_state

pytestmark = pytest.mark.usefixtures("any_engine")

FIELDS = ("monthly_limit", "low_threshold", "critical_threshold")


def new_owner(balance: AmountInput | None = None) -> WalletOwner:
    user = make_user("settings")
    if balance is not None:
        credits.grant_personal_credits(user.id, balance, description="funding")
    return WalletOwner.user(user.id)


def stored_settings(owner: WalletOwner) -> WalletSettings:
    return get_balance_overview(owner).settings


def test_a_new_wallet_has_no_limit_and_no_thresholds() -> None:
    owner = new_owner()
    assert stored_settings(owner) == WalletSettings(None, None, None)


def test_settings_are_stored_exactly_as_credits() -> None:
    owner = new_owner()
    returned = update_wallet_settings(
        owner,
        {"monthly_limit": "250.5", "low_threshold": 20, "critical_threshold": Decimal("5.0001")},
    )
    assert returned == WalletSettings(Decimal("250.5"), Decimal("20"), Decimal("5.0001"))
    assert stored_settings(owner) == returned
    state = wallet_state(owner)
    assert (state.monthly_limit, state.low_threshold, state.critical_threshold) == (
        2_505_000,
        200_000,
        50_001,
    )


def test_absent_keys_are_kept_and_none_clears_only_its_key() -> None:
    owner = new_owner()
    update_wallet_settings(
        owner, {"monthly_limit": "100", "low_threshold": "10", "critical_threshold": "2"}
    )
    assert update_wallet_settings(owner, {"low_threshold": "15"}) == WalletSettings(
        Decimal("100"), Decimal("15"), Decimal("2")
    )
    assert update_wallet_settings(owner, {"monthly_limit": None}) == WalletSettings(
        None, Decimal("15"), Decimal("2")
    )
    assert update_wallet_settings(owner, {}) == WalletSettings(None, Decimal("15"), Decimal("2"))
    assert update_wallet_settings(
        owner, {"low_threshold": None, "critical_threshold": None}
    ) == WalletSettings(None, None, None)
    assert stored_settings(owner) == WalletSettings(None, None, None)


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("value", [0, "0", "-1", Decimal("-0.0001"), "0.00001", "1.23456", 2.5])
def test_bad_amounts_are_refused_and_nothing_is_stored(field: str, value: object) -> None:
    """A setting is an amount like any other (`parse_credits`), so a bad one is `InvalidAmount`
    (400 `invalid_amount`, as the API's own validation says), not `InvalidArgument`."""
    owner = new_owner()
    before = update_wallet_settings(owner, {"monthly_limit": "50", "low_threshold": "10"})
    others = {name: "1" for name in FIELDS if name != field}  # valid on their own
    change: SettingsChange = {**others, field: value}  # type: ignore[typeddict-item]
    with pytest.raises(InvalidAmount):
        update_wallet_settings(owner, change)
    assert stored_settings(owner) == before


@pytest.mark.parametrize("value", [True, 1.0, [1], "ten"])
def test_non_numbers_are_refused(value: object) -> None:
    owner = new_owner()
    with pytest.raises(InvalidAmount):
        update_wallet_settings(owner, {"monthly_limit": value})  # type: ignore[typeddict-item]
    assert stored_settings(owner) == WalletSettings(None, None, None)


@pytest.mark.parametrize(
    ("existing", "change"),
    [
        ({}, {"low_threshold": "5", "critical_threshold": "5.0001"}),
        ({"low_threshold": "5"}, {"critical_threshold": "6"}),
        ({"low_threshold": "10", "critical_threshold": "8"}, {"low_threshold": "7.9999"}),
    ],
)
def test_a_critical_threshold_above_the_low_one_is_refused_and_nothing_is_stored(
    existing: SettingsChange, change: SettingsChange
) -> None:
    owner = new_owner()
    before = update_wallet_settings(owner, existing | {"monthly_limit": "40"})
    with pytest.raises(InvalidArgument) as refused:
        update_wallet_settings(owner, change | {"monthly_limit": "99"})
    assert refused.value.code == "invalid_argument"
    assert refused.value.details == {"field": "criticalThreshold"}
    assert stored_settings(owner) == before


@pytest.mark.parametrize(
    "change",
    [
        {"low_threshold": "5", "critical_threshold": "5"},  # equal is allowed
        {"critical_threshold": "50"},  # no low threshold to compare with
        {"low_threshold": "1"},  # no critical threshold to compare with
    ],
)
def test_thresholds_that_are_consistent_are_accepted(change: SettingsChange) -> None:
    owner = new_owner()
    update_wallet_settings(owner, change)
    stored = stored_settings(owner)
    for field, value in change.items():
        assert getattr(stored, field) == Decimal(str(value))


def test_clearing_the_low_threshold_allows_a_higher_critical_one() -> None:
    owner = new_owner()
    update_wallet_settings(owner, {"low_threshold": "5", "critical_threshold": "2"})
    settings = update_wallet_settings(owner, {"low_threshold": None, "critical_threshold": "9"})
    assert settings == WalletSettings(None, None, Decimal("9"))


def test_status_goes_ok_then_low_then_critical_exactly_at_the_thresholds() -> None:
    owner = new_owner("20")
    update_wallet_settings(owner, {"low_threshold": "10", "critical_threshold": "5"})
    seen = [get_balance_overview(owner).status]
    for amount in ("9.9999", "0.0001", "4.9999", "0.0001", "5"):
        credits.deduct_personal_credits(owner.id, amount, category="other")
        overview = get_balance_overview(owner)
        seen.append(overview.status)
    assert seen == [
        BalanceStatus.OK,  # 20
        BalanceStatus.OK,  # 10.0001
        BalanceStatus.LOW,  # 10: at the low threshold
        BalanceStatus.LOW,  # 5.0001
        BalanceStatus.CRITICAL,  # 5: at the critical threshold
        BalanceStatus.CRITICAL,  # 0
    ]
    credits.grant_personal_credits(owner.id, "10.0001", description="top-up")
    assert get_balance_overview(owner).status is BalanceStatus.OK


def test_equal_thresholds_report_critical_at_that_balance() -> None:
    owner = new_owner("5")
    update_wallet_settings(owner, {"low_threshold": "5", "critical_threshold": "5"})
    assert get_balance_overview(owner).status is BalanceStatus.CRITICAL


@pytest.mark.parametrize(
    ("change", "balance", "status"),
    [
        ({}, None, BalanceStatus.CRITICAL),  # zero with no thresholds at all
        ({}, "0.0001", BalanceStatus.OK),
        ({"low_threshold": "1"}, None, BalanceStatus.CRITICAL),  # zero is critical, not low
        ({"low_threshold": "1"}, "1", BalanceStatus.LOW),
        ({"critical_threshold": "1"}, "1", BalanceStatus.CRITICAL),
        ({"critical_threshold": "1"}, "1.0001", BalanceStatus.OK),
    ],
)
def test_status_with_some_or_no_thresholds(
    change: SettingsChange, balance: str | None, status: BalanceStatus
) -> None:
    owner = new_owner(balance)
    update_wallet_settings(owner, change)
    overview = get_balance_overview(owner)
    assert overview.balance == Decimal(balance or 0)
    assert overview.status is status


def test_overview_reports_balance_settings_and_this_months_spending() -> None:
    owner = new_owner("30")
    update_wallet_settings(owner, {"monthly_limit": "25", "low_threshold": "20"})
    credits.deduct_personal_credits(owner.id, "12.5", category="ai_usage")
    credits.grant_personal_credits(owner.id, "1", description="refund", type="refund")
    overview = get_balance_overview(owner)
    assert overview.balance == Decimal("18.5")
    assert overview.status is BalanceStatus.LOW
    assert overview.used_this_month == Decimal("12.5")
    assert overview.settings == WalletSettings(Decimal("25"), Decimal("20"), None)


def test_org_wallet_settings_are_separate_from_personal_ones() -> None:
    user = make_user("member")
    org = make_org(user)
    personal, team = WalletOwner.user(user.id), WalletOwner.org(org.id)
    credits.grant_org_credits(org.id, "8", description="funding")
    update_wallet_settings(personal, {"monthly_limit": "1", "low_threshold": "3"})
    update_wallet_settings(team, {"low_threshold": "10", "critical_threshold": "8"})
    assert stored_settings(personal) == WalletSettings(Decimal("1"), Decimal("3"), None)
    assert stored_settings(team) == WalletSettings(None, Decimal("10"), Decimal("8"))
    assert get_balance_overview(team).status is BalanceStatus.CRITICAL
    credits.deduct_org_credits(org.id, "5", category="other")  # the personal limit is not used
    assert get_balance_overview(team).used_this_month == Decimal("5")
    assert get_balance_overview(personal).used_this_month == 0


def test_settings_of_an_unknown_owner_are_not_found() -> None:
    for owner in (WalletOwner.user(987_654), WalletOwner.org(987_654)):
        with pytest.raises(WalletNotFound):
            update_wallet_settings(owner, {"monthly_limit": "1"})
        with pytest.raises(WalletNotFound):
            get_balance_overview(owner)
