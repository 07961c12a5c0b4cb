"""The Usage tab: the daily chart over the breakdowns, both bound to `UsageState`."""

import reflex as rx

from credits_app import styles
from credits_app.components.credits.credits_usage_breakdown import credits_usage_breakdown
from credits_app.components.credits.credits_usage_chart import credits_usage_chart
from credits_app.state.usage_state import UsageState
from credits_app.state.wallet_context_state import WalletContextState


def usage_view() -> rx.Component:
    """Chart first (the trend), then where the credits went."""
    loading = UsageState.loaded_for != WalletContextState.key
    return rx.vstack(
        credits_usage_chart(
            UsageState.figure,
            total_used=UsageState.total_used,
            period=UsageState.period,
            on_period_change=UsageState.set_period,
            has_usage=UsageState.has_usage,
            loading=loading,
        ),
        credits_usage_breakdown(
            UsageState.by_category,
            UsageState.by_model,
            UsageState.by_feature,
            has_usage=UsageState.has_usage,
            has_ai_usage=UsageState.has_ai_usage,
            ai_total=UsageState.ai_total,
            loading=loading,
        ),
        spacing=styles.GAP_MEDIUM,
        width="100%",
    )
