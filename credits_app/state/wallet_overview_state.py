"""The current wallet's balance overview: header widget, balance card and limit warnings.

One state feeds all three, so the header and the card always show the same number.
`refresh` is the public event other states trigger after anything that moves the balance
(a purchase coming back from Checkout, an AI message being charged): `return
WalletOverviewState.refresh`. The header also polls it every `balance_refresh_seconds`.
"""

import reflex as rx

from credits_app.credits.errors import CreditsError
from credits_app.credits.wallet_settings import get_balance_overview
from credits_app.settings import get_settings
from credits_app.state.history_state import HistoryState
from credits_app.state.presenters import overview_view, status_tooltip
from credits_app.state.service_calls import call_service
from credits_app.state.usage_state import UsageState
from credits_app.state.wallet_context_state import WalletContextState


class WalletOverviewState(rx.State):
    """Balance, status and this month's spending of the wallet in context, as display text."""

    balance: str = ""
    status: str = "ok"  # ok | low | critical
    low_threshold: str = ""
    critical_threshold: str = ""
    used_this_month: str = ""
    monthly_limit: str = ""
    percent_used: int = 0
    limit_reached: bool = False
    near_limit: bool = False
    loaded_for: str = ""  # the WalletContextState.key these figures belong to
    refresh_interval_ms: int = get_settings().balance_refresh_seconds * 1000

    @rx.var
    def status_tooltip(self) -> str:
        return status_tooltip(self.status, self.low_threshold, self.critical_threshold)

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
            overview = await call_service(get_balance_overview, owner)
        except CreditsError as error:
            return rx.toast.error(error.message)
        view = overview_view(overview)
        moved = self.loaded_for == context.key and (
            view.balance != self.balance or view.used_this_month != self.used_this_month
        )
        self.balance = view.balance
        self.status = view.status
        self.low_threshold = view.low_threshold
        self.critical_threshold = view.critical_threshold
        self.used_this_month = view.used_this_month
        self.monthly_limit = view.monthly_limit
        self.percent_used = view.percent_used
        self.limit_reached = view.limit_reached
        self.near_limit = view.near_limit
        self.loaded_for = context.key
        # Money moved since the last look (spending elsewhere, an AI charge): the chart and
        # the history on screen would now contradict the balance, so they follow it.
        return [UsageState.refresh, HistoryState.refresh_first_page] if moved else None
