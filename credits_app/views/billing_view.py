"""The Billing page (`/billing`, `/organizations/<slug>/billing`), bound to `BillingState`.

Layout, top to bottom: heading with "Buy credits"; the saved card and auto-recharge cards
(the **recharge** helper's `PaymentMethodCard` and `AutoRechargeCard`, see `_recharge_cards`);
pending checkouts; every purchase with its receipt. Org members see whom to ask instead.
"""

import reflex as rx

from credits_app import styles
from credits_app.components.banner import banner
from credits_app.components.billing.purchases_card import pending_checkouts_card, purchases_card
from credits_app.state.auto_recharge_state import AutoRechargeState
from credits_app.state.billing_state import BillingState
from credits_app.state.purchase_state import PurchaseState
from credits_app.state.wallet_context_state import WalletContextState
from credits_app.views.billing_cards_view import billing_cards
from credits_app.views.not_found import not_found_view

BILLING_PAGE_ON_LOAD = [BillingState.load, AutoRechargeState.load]


def billing_view() -> rx.Component:
    return rx.cond(WalletContextState.not_found, not_found_view(), _billing())


def _billing() -> rx.Component:
    return rx.vstack(
        rx.flex(
            rx.vstack(
                rx.heading("Billing", as_="h1", size=styles.HEADING_SIZE, id="billing-heading"),
                rx.text(
                    WalletContextState.wallet_label,
                    ": purchases, receipts and payment settings.",
                    size=styles.BODY_SIZE,
                    **styles.CAPTION_STYLE,
                ),
                spacing="1",
            ),
            rx.cond(
                WalletContextState.can_buy,
                rx.button(
                    rx.icon("plus", size=styles.ICON_SIZE),
                    "Buy credits",
                    on_click=PurchaseState.open_buy_dialog,
                    id="billing-buy",
                    width=styles.FULL_WIDTH_ON_PHONES,
                ),
            ),
            justify="between",
            align=rx.breakpoints(initial="start", sm="end"),
            direction=rx.breakpoints(initial="column", sm="row"),
            gap="12px",
            width="100%",
        ),
        rx.cond(
            WalletContextState.can_buy,
            rx.vstack(
                _recharge_cards(),
                pending_checkouts_card(
                    BillingState.pending,
                    BillingState.busy_id,
                    on_resume=BillingState.resume,
                    on_abandon=BillingState.abandon,
                ),
                purchases_card(
                    BillingState.purchases,
                    BillingState.loaded,
                    BillingState.has_more,
                    BillingState.show_more,
                ),
                spacing=styles.GAP_MEDIUM,
                width="100%",
            ),
            banner(
                "lock",
                styles.LOW_COLOR,
                "Billing is for owners and admins",
                rx.text(WalletContextState.buy_blocked_reason, size=styles.BODY_SIZE),
                id="billing-blocked",
            ),
        ),
        spacing=styles.GAP_MEDIUM,
        width="100%",
    )


def _recharge_cards() -> rx.Component:
    """The saved card and auto-recharge cards (bound to `AutoRechargeState`, loaded on mount)."""
    return billing_cards()
