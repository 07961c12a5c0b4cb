"""The saved card and auto-recharge cards bound to `AutoRechargeState` (shown on the Settings
tab of the credits pages until the Billing page takes them)."""

import reflex as rx

from credits_app.components.billing.auto_recharge_card import auto_recharge_card
from credits_app.components.billing.payment_method_card import payment_method_card
from credits_app.state.auto_recharge_state import AutoRechargeState as S


def billing_cards() -> rx.Component:
    """Payment method, then auto-recharge. Whoever shows them loads `AutoRechargeState`:
    the Billing page in its on_load (after the session is known), the Settings tab on mount
    (it opens only after the page's on_load)."""
    return rx.vstack(
        payment_method_card(S.card, on_add=S.add_card, on_remove=S.remove_card),
        auto_recharge_card(
            S.rule,
            on_enabled=S.set_form_enabled,
            on_threshold=S.set_threshold,
            on_recharge_to=S.set_recharge_to,
            on_cap=S.set_cap,
            on_save=S.save,
            on_confirm=S.confirm_charge,
            on_confirm_open=S.set_confirm_open,
        ),
        spacing="4",
        width="100%",
    )
