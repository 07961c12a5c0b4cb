"""The Purchase tab: the package grid and its confirmation dialog, bound to `PurchaseState`."""

import reflex as rx

from credits_app.components.credits.buy_credits_modal import buy_credits_modal
from credits_app.components.credits.credits_purchase_packages import credits_purchase_packages
from credits_app.state.purchase_state import PurchaseState
from credits_app.state.wallet_context_state import WalletContextState


def purchase_view() -> rx.Component:
    """Packages for the wallet in context; members see them but cannot buy."""
    return rx.fragment(
        credits_purchase_packages(
            PurchaseState.packages,
            on_choose=PurchaseState.choose,
            can_buy=WalletContextState.can_buy,
            blocked_reason=WalletContextState.buy_blocked_reason,
            wallet_label=WalletContextState.wallet_label,
        ),
        buy_credits_modal(
            PurchaseState.selected,
            open=PurchaseState.dialog_open,
            wallet_label=WalletContextState.wallet_label,
            on_open_change=PurchaseState.set_dialog_open,
            on_confirm=PurchaseState.confirm,
            submitting=PurchaseState.submitting,
            error=PurchaseState.error,
        ),
    )
