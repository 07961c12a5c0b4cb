"""The Purchase tab's package grid, and the buy-credits dialog, bound to `PurchaseState`.

The dialog is rendered once per dashboard page by the page template (not inside the tab), so
the AI assistant's "Buy credits" can open it from any page without a second copy.
"""

import reflex as rx

from credits_app.components.credits.buy_credits_modal import (
    CustomAmount,
    DialogEvents,
    DialogStatus,
    buy_credits_modal,
)
from credits_app.components.credits.credits_purchase_packages import credits_purchase_packages
from credits_app.state.purchase_state import PurchaseState
from credits_app.state.wallet_context_state import WalletContextState


def purchase_view() -> rx.Component:
    """Packages for the wallet in context; members see them but cannot buy."""
    return credits_purchase_packages(
        PurchaseState.packages,
        on_choose=PurchaseState.choose,
        on_custom=PurchaseState.open_custom,
        can_buy=WalletContextState.can_buy,
        blocked_reason=WalletContextState.buy_blocked_reason,
        wallet_label=WalletContextState.wallet_label,
    )


def buy_credits_dialog() -> rx.Component:
    """Confirm a package for the wallet in context, then go to Checkout."""
    return buy_credits_modal(
        PurchaseState.selected,
        PurchaseState.packages,
        status=DialogStatus(
            open=PurchaseState.dialog_open,
            submitting=PurchaseState.submitting,
            error=PurchaseState.error,
            show_picker=PurchaseState.show_picker,
        ),
        custom=CustomAmount(
            mode=PurchaseState.mode,
            credits=PurchaseState.custom_credits,
            quote=PurchaseState.quote,
            error=PurchaseState.quote_error,
            range_hint=PurchaseState.custom_range,
        ),
        wallet_label=WalletContextState.wallet_label,
        events=DialogEvents(
            on_open_change=PurchaseState.set_dialog_open,
            on_confirm=PurchaseState.confirm,
            on_select_package=PurchaseState.select_package,
            on_mode_change=PurchaseState.set_mode,
            on_custom_change=PurchaseState.set_custom_credits,
        ),
    )
