"""The saved-card and auto-recharge cards' presenters: formatting and the form's checks."""

from datetime import UTC, datetime

from credits_app.billing.auto_recharge import AutoRechargeView, LastAttempt, Rate
from credits_app.billing.payment_methods import CardInfo
from credits_app.state.auto_recharge_presenters import (
    auto_recharge_card_view,
    check_rule_form,
    payment_method_view,
)

CARD = CardInfo("visa", "4242", 12, 2029, "fp")


def test_the_card_reads_brand_last4_and_expiry() -> None:
    view = payment_method_view(CARD, can_edit=True)
    assert (view.label, view.expiry, view.has_card) == ("Visa •••• 4242", "Expires 12/2029", True)
    assert payment_method_view(None, can_edit=False).has_card is False


def test_the_rule_reads_status_last_attempt_and_month_charges() -> None:
    at = datetime(2026, 12, 1, 14, 3, tzinfo=UTC)
    rule = AutoRechargeView(
        True,
        1_000_000,
        5_000_000,
        10_000,
        "suspended",
        CARD,
        LastAttempt(at, "failed", "Your card was declined."),
        460,
        True,
        0,
    )
    view = auto_recharge_card_view(rule, can_edit=True)
    assert view.status_label == "Suspended"
    assert view.last_attempt == "Failed on Dec 1, 2026, 14:03 UTC"
    assert view.charged_this_month == "$4.60 of $100.00 this month"
    assert (view.threshold, view.recharge_to, view.cap) == ("100", "500", "100.00")


def test_the_form_is_checked_as_the_api_checks_it() -> None:
    assert check_rule_form("100", "500", "50").cap_cents == 5_000
    assert check_rule_form("0", "12.5", "0.5").threshold == 0
    assert check_rule_form("100", "100", "50").error
    assert check_rule_form("100", "500", "0.001").error
    assert check_rule_form("abc", "500", "50").error
    assert check_rule_form("1.00001", "500", "50").error


def test_the_list_rate_rounds_charges_up_to_the_cent_and_never_overbuys() -> None:
    rate = Rate(price_minor=999, units=10_000_000, currency="usd")  # $9.99 for 1,000 credits
    assert rate.cents_for(1) == 1  # a fraction of a cent is a whole cent
    assert rate.cents_for(10_000_000) == 999
    for cents in (1, 50, 999, 12_345):
        assert rate.cents_for(rate.units_for(cents)) <= cents
