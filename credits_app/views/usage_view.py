"""The Usage tab: the daily chart over the breakdowns, both bound to `UsageState`."""

import reflex as rx

from credits_app import styles
from credits_app.components.credits.credits_usage_breakdown import credits_usage_breakdown
from credits_app.components.credits.credits_usage_chart import credits_usage_chart
from credits_app.state.usage_state import UsageState
from credits_app.views.loading import not_loaded


def usage_view() -> rx.Component:
    """Chart first (the trend), then where the credits went."""
    loading = not_loaded(UsageState.loaded_for)
    return rx.vstack(
        credits_usage_chart(
            UsageState.figure,
            UsageState.usage,
            period=UsageState.period,
            on_period_change=UsageState.set_period,
            loading=loading,
        ),
        credits_usage_breakdown(UsageState.usage, loading=loading),
        spacing=styles.GAP_MEDIUM,
        width="100%",
    )
