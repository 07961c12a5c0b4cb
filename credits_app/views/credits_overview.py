"""The top of a credits page: heading with the wallet's name, warnings, and the balance card."""

import reflex as rx

from credits_app import styles
from credits_app.components.credits.credits_balance_card import credits_balance_card
from credits_app.components.credits.credits_limit_warning import credits_limit_warning
from credits_app.state.credits_page_state import CreditsPageState
from credits_app.state.wallet_context_state import WalletContextState
from credits_app.state.wallet_overview_state import WalletOverviewState
from credits_app.views.loading import not_loaded
from credits_app.views.transfer_view import send_credits_action

OPEN_PURCHASE_TAB = CreditsPageState.set_tab("purchase")


def credits_heading() -> rx.Component:
    """'Credits' and whose wallet this is, with a buy shortcut for those allowed to buy."""
    return rx.hstack(
        rx.vstack(
            rx.heading("Credits", as_="h1", size=styles.HEADING_SIZE, id="credits-heading"),
            rx.text(
                rx.cond(
                    WalletContextState.is_org,
                    rx.fragment(
                        "Shared wallet of ",
                        rx.text.strong(WalletContextState.org_name),
                        " · you are ",
                        rx.text.span(WalletContextState.role, text_transform="lowercase"),
                    ),
                    "Your personal wallet for AI, marketplace apps, premium features "
                    "and subscriptions.",
                ),
                size=styles.BODY_SIZE,
                id="credits-context",
                **styles.CAPTION_STYLE,
            ),
            spacing="1",
            align="start",
        ),
        rx.hstack(
            send_credits_action(),
            rx.cond(
                # One "Buy credits" on screen: not here when a banner below already offers it.
                WalletContextState.can_buy
                & ~not_loaded(WalletOverviewState.loaded_for)
                & ~WalletOverviewState.overview.offers_buy,
                rx.button(
                    rx.icon("plus", size=styles.ICON_SIZE),
                    "Buy credits",
                    size="2",
                    on_click=OPEN_PURCHASE_TAB,
                    id="header-buy",
                ),
            ),
            spacing=styles.GAP_SMALL,
            wrap="wrap",
        ),
        justify="between",
        align="center",
        width="100%",
        wrap="wrap",
        spacing=styles.GAP_MEDIUM,
    )


def credits_overview() -> rx.Component:
    """Warnings (when there are any) above the balance card."""
    loading = not_loaded(WalletOverviewState.loaded_for)
    return rx.vstack(
        rx.cond(
            loading,
            rx.fragment(),
            credits_limit_warning(
                WalletOverviewState.overview,
                can_buy=WalletContextState.can_buy,
                on_buy=OPEN_PURCHASE_TAB,
            ),
        ),
        credits_balance_card(
            WalletOverviewState.overview,
            label=rx.cond(
                WalletContextState.is_org,
                WalletContextState.org_name + " balance",
                "Personal balance",
            ),
            loading=loading,
        ),
        spacing=styles.GAP_MEDIUM,
        width="100%",
    )
