"""The Usage tab: daily spending by category for the chart, and the breakdowns beside it."""

import plotly.graph_objects as go
import reflex as rx

from credits_app.credits.ai_usage_report import get_ai_usage
from credits_app.credits.credit_service import get_usage
from credits_app.credits.errors import CreditsError
from credits_app.state.service_calls import call_service
from credits_app.state.usage_presenters import UsageView, usage_figure, usage_view
from credits_app.state.wallet_context_state import WalletContextState

PERIOD_CHOICES = ("7", "30", "90")
DEFAULT_PERIOD = "30"


class UsageState(rx.State):
    """Spending of the wallet in context over the chosen window, ready to draw."""

    period: str = DEFAULT_PERIOD  # days, as the segmented control's value
    figure: go.Figure = go.Figure(layout={"template": "none"})
    usage: UsageView = UsageView()
    loaded_for: str = ""  # the WalletContextState.key these figures belong to ("" = none yet)

    @rx.event
    async def load(self) -> rx.event.EventSpec | None:
        """Read usage for the current period (after the wallet context is resolved)."""
        return await self._load()

    @rx.event
    async def refresh(self) -> rx.event.EventSpec | None:
        """The balance moved: re-read the figures if this page already shows some."""
        if not self.loaded_for:
            return None
        return await self._load()

    @rx.event
    async def set_period(self, period: str | list[str]) -> rx.event.EventSpec | None:
        """Switch between 7, 30 and 90 days (the segmented control sends one value)."""
        period = period[0] if isinstance(period, list) and period else str(period)
        if period not in PERIOD_CHOICES or period == self.period:
            return None
        self.period = period
        return await self._load()

    async def _load(self) -> rx.event.EventSpec | None:
        context = await self.get_state(WalletContextState)
        owner = context.wallet_owner()
        if owner is None:
            return None
        days = int(self.period)
        try:
            report = await call_service(get_usage, owner, days=days)
            ai = await call_service(get_ai_usage, owner, days=days)
        except CreditsError as error:
            return rx.toast.error(error.message)
        self.figure = usage_figure(report)
        self.usage = usage_view(report, ai)
        self.loaded_for = context.key
        return None
