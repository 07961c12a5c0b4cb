"""The saved card and the auto-recharge rule as their two Billing cards show them.

Pure functions from the services' views to display dataclasses: every figure formatted here
(credits, money, dates), so the cards never do arithmetic.
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from credits_app.billing.auto_recharge import AutoRechargeView
from credits_app.billing.payment_methods import CardInfo
from credits_app.credits.amounts import format_credits, parse_credits
from credits_app.credits.errors import CreditsError
from credits_app.state.formatting import money, utc_text

STATUS_LABELS = {
    "off": "Off",
    "active": "Active",
    "needs_payment_method": "Needs a card",
    "suspended": "Suspended",
}
OUTCOME_LABELS = {
    "succeeded": "Succeeded",
    "failed": "Failed",
    "requires_action": "Needs your confirmation",
}


@dataclass(frozen=True)
class PaymentMethodView:
    """The card panel: what is saved, and whether this user may change it."""

    has_card: bool = False
    label: str = ""  # "Visa •••• 4242"
    expiry: str = ""  # "Expires 12/2029"
    can_edit: bool = False
    loading: bool = True


@dataclass(frozen=True)
class AutoRechargeCardView:
    """The auto-recharge panel: its status, the last attempt and this month's charges."""

    status: str = "off"
    status_label: str = "Off"
    enabled: bool = False
    has_card: bool = False
    last_attempt: str = ""  # "Succeeded on 1 Dec 2026 14:03 UTC", or "" (none yet)
    last_message: str = ""
    charged_this_month: str = ""  # "$4.60 of $100.00 this month"
    below_threshold: bool = False
    can_edit: bool = False
    loading: bool = True
    # The form, edited in place (the state replaces the view on every change):
    form_enabled: bool = False
    threshold: str = ""
    recharge_to: str = ""
    cap: str = ""  # dollars, "100.00"
    error: str = ""
    saving: bool = False
    confirm_open: bool = False  # "this will charge your card now" before enabling below it


def payment_method_view(card: CardInfo | None, *, can_edit: bool) -> PaymentMethodView:
    """The card panel's view."""
    if card is None:
        return PaymentMethodView(can_edit=can_edit, loading=False)
    return PaymentMethodView(
        has_card=True,
        label=f"{card.brand.title()} •••• {card.last4}",
        expiry=f"Expires {card.exp_month:02d}/{card.exp_year}",
        can_edit=can_edit,
        loading=False,
    )


def auto_recharge_card_view(
    view: AutoRechargeView, *, can_edit: bool, currency: str = "usd"
) -> AutoRechargeCardView:
    """The auto-recharge panel's view."""
    last = view.last_attempt
    cap = view.monthly_cap_cents
    charged = money(view.charged_this_month_cents, currency)
    return AutoRechargeCardView(
        status=view.status,
        status_label=STATUS_LABELS.get(view.status, view.status),
        enabled=view.enabled,
        has_card=view.payment_method is not None,
        last_attempt=(
            f"{OUTCOME_LABELS.get(last.outcome, last.outcome)} on {utc_text(last.at)}"
            if last
            else ""
        ),
        last_message=last.message if last else "",
        charged_this_month=(
            f"{charged} of {money(cap, currency)} this month" if cap else f"{charged} this month"
        ),
        below_threshold=view.below_threshold,
        can_edit=can_edit,
        loading=False,
        form_enabled=view.enabled,
        threshold=credits_text(view.threshold) or "100",
        recharge_to=credits_text(view.recharge_to) or "500",
        cap=f"{Decimal(cap).scaleb(-2):.2f}" if cap else "50.00",
    )


@dataclass(frozen=True)
class RuleForm:
    """The form's values checked as the API checks them (units and cents), or an error."""

    threshold: int = 0
    recharge_to: int = 0
    cap_cents: int = 0
    error: str = ""


def check_rule_form(threshold: str, recharge_to: str, cap: str) -> RuleForm:
    """Parse the three fields; the service re-checks everything (one rule, one place)."""
    try:
        low = 0 if threshold.strip() in {"0", ""} else parse_credits(threshold.strip())
        high = parse_credits(recharge_to.strip())
        dollars = Decimal(cap.strip())
    except (CreditsError, InvalidOperation, ValueError):
        return RuleForm(error="Enter amounts like 100 or 12.5, and the cap in dollars.")
    cents = dollars.scaleb(2)
    if cents <= 0 or cents != cents.to_integral_value():
        return RuleForm(error="The monthly cap must be a positive amount in whole cents.")
    if high <= low:
        return RuleForm(error="“Recharge to” must be above the threshold.")
    return RuleForm(low, high, int(cents))


def credits_text(units: int | None) -> str:
    """A form field's text for an amount of units ("" for none)."""
    return "" if units is None else format_credits(units).replace(",", "")
