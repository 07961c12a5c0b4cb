"""A whole credits page body: heading, overview, and the Usage / History / Purchase / Settings
tabs."""

import reflex as rx

from credits_app import styles
from credits_app.components.history_listener import popstate_listener
from credits_app.state.checkout_return_state import CheckoutReturnState
from credits_app.state.credits_page_state import CreditsPageState
from credits_app.state.history_state import HistoryState
from credits_app.state.purchase_state import PurchaseState
from credits_app.state.usage_state import UsageState
from credits_app.state.wallet_context_state import WalletContextState
from credits_app.views.credits_overview import credits_heading, credits_overview
from credits_app.views.history_view import history_view
from credits_app.views.not_found import not_found_view
from credits_app.views.purchase_view import purchase_view
from credits_app.views.settings_view import settings_view
from credits_app.views.transfer_view import refund_entry_dialog, send_credits_dialog
from credits_app.views.usage_view import usage_view

# After the template's session and context events: checkout return first, so the figures
# read next already include a purchase that just came back.
CREDITS_PAGE_ON_LOAD = [
    CreditsPageState.open_tab_from_url,
    CheckoutReturnState.handle_return,
    UsageState.load,
    HistoryState.load,
    PurchaseState.load,
]


def credits_view() -> rx.Component:
    """The credits page of the wallet in context, or not-found for outsiders."""
    return rx.cond(
        WalletContextState.not_found,
        not_found_view(),
        rx.vstack(
            popstate_listener(param="tab", on_pop=CreditsPageState.show_tab_from_history),
            credits_heading(),
            credits_overview(),
            _tabs(),
            send_credits_dialog(),
            refund_entry_dialog(),
            spacing="5",
            width="100%",
        ),
    )


def _tabs() -> rx.Component:
    return rx.tabs.root(
        rx.tabs.list(
            _trigger("usage", "Usage", "chart-column"),
            _trigger("history", "History", "receipt-text"),
            _trigger("purchase", "Purchase", "shopping-cart"),
            _trigger("settings", "Settings", "settings"),
            size="2",
        ),
        rx.tabs.content(usage_view(), value="usage", padding_top="20px"),
        rx.tabs.content(history_view(), value="history", padding_top="20px"),
        rx.tabs.content(purchase_view(), value="purchase", padding_top="20px"),
        rx.tabs.content(settings_view(), value="settings", padding_top="20px"),
        value=CreditsPageState.tab,
        on_change=CreditsPageState.set_tab,
        width="100%",
        id="credits-tabs",
    )


def _trigger(value: str, label: str, icon: str) -> rx.Component:
    return rx.tabs.trigger(
        rx.hstack(
            rx.icon(icon, size=styles.ICON_SIZE),
            rx.text(label),
            align="center",
            spacing="2",
        ),
        value=value,
        id=f"tab-{value}",
    )
