"""The current wallet's balance overview: header widget, balance card and limit warnings.

One state feeds all three, so the header and the card always show the same number.
`refresh` is the public event other states trigger after anything that moves the balance
(a purchase coming back from Checkout, an AI message being charged): `return
WalletOverviewState.refresh`. The header also polls it every `balance_refresh_seconds`.
"""

import reflex as rx

from credits_app.credits.credit_service import get_history
from credits_app.credits.errors import CreditsError
from credits_app.credits.owners import WalletOwner
from credits_app.credits.wallet_settings import BalanceOverview, get_balance_overview
from credits_app.settings import get_settings
from credits_app.state.history_state import HistoryState
from credits_app.state.notification_state import NotificationState
from credits_app.state.overview_presenters import OverviewView, overview_view
from credits_app.state.service_calls import call_service
from credits_app.state.usage_state import UsageState
from credits_app.state.wallet_context_state import WalletContextState


class WalletOverviewState(rx.State):
    """Balance, status and this month's spending of the wallet in context, as one view."""

    overview: OverviewView = OverviewView()
    loaded_for: str = ""  # the WalletContextState.key these figures belong to ("" = none yet)
    refresh_interval_ms: int = get_settings().balance_refresh_seconds * 1000

    @rx.event
    async def refresh(self) -> list[rx.event.EventType[()]] | rx.event.EventSpec | None:
        """Re-read the balance of the wallet in context (no-op until the context is known)."""
        return await self._reload()

    @rx.event
    async def tick(
        self, _now: str = ""
    ) -> list[rx.event.EventType[()]] | rx.event.EventSpec | None:
        """The header's timer fired: refresh, but only once a page has loaded figures."""
        if not self.loaded_for:
            return None
        return await self._reload()

    async def _reload(self) -> list[rx.event.EventType[()]] | rx.event.EventSpec | None:
        context = await self.get_state(WalletContextState)
        owner = context.header_owner()
        if owner is None:
            return None
        try:
            view = await call_service(_read_overview, owner)
        except CreditsError as error:
            return rx.toast.error(error.message)
        moved = self.loaded_for == context.key and (
            view.balance != self.overview.balance
            or view.used_this_month != self.overview.used_this_month
        )
        self.overview = view
        self.loaded_for = context.key
        # Money moved since the last look (spending elsewhere, an AI charge): the chart and
        # the history on screen would now contradict the balance, so they follow it.
        # An alert may have come with the move: the bell follows too.
        return (
            [UsageState.refresh, HistoryState.refresh_first_page, NotificationState.refresh]
            if moved
            else None
        )


def _read_overview(owner: WalletOwner) -> OverviewView:
    """The overview, plus (only for an empty wallet) whether it ever had an entry: a wallet
    that never had credits is greeted, not warned."""
    overview: BalanceOverview = get_balance_overview(owner)
    has_history = overview.balance != 0 or bool(get_history(owner, limit=1).items)
    return overview_view(overview, has_history=has_history)
