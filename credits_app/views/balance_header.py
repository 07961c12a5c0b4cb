"""The header balance bound to the wallet in context, plus the timer that keeps it fresh.

The timer is an invisible interval ticking every `balance_refresh_seconds` (a runtime setting,
sent with the state), so a deduction made elsewhere (the service API, another tab) shows up
without a reload. Purchases and AI charges refresh it at once through
`WalletOverviewState.refresh`.
"""

import reflex as rx

from credits_app.components.credits.credits_balance_display import credits_balance_display
from credits_app.components.interval_timer import interval_timer
from credits_app.state.wallet_context_state import WalletContextState
from credits_app.state.wallet_overview_state import WalletOverviewState
from credits_app.views.loading import not_loaded


def header_balance() -> rx.Component:
    """The compact balance for the top bar of every private page."""
    return rx.fragment(
        credits_balance_display(
            WalletOverviewState.overview,
            href=WalletContextState.credits_href,
            loading=not_loaded(WalletOverviewState.loaded_for),
        ),
        interval_timer(
            interval=WalletOverviewState.refresh_interval_ms,
            on_tick=WalletOverviewState.tick,
        ),
    )
