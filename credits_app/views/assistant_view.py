"""The 2Bot AI assistant on every dashboard page: the widget bound to `AssistantState`.

Its balance is the header's (`WalletOverviewState`), so the widget and the top bar always show
the same number; "Buy credits" opens the shared buy-credits dialog for the wallet in context.
"""

import reflex as rx

from credits_app.components.ai.two_bot_ai_assistant_widget import two_bot_ai_assistant_widget
from credits_app.state.assistant_state import AssistantState
from credits_app.state.purchase_state import PurchaseState
from credits_app.state.wallet_context_state import WalletContextState
from credits_app.state.wallet_overview_state import WalletOverviewState


def assistant_widget() -> rx.Component:
    """The launcher and the chat panel for the wallet in context."""
    return two_bot_ai_assistant_widget(
        open=AssistantState.open,
        on_toggle=AssistantState.toggle,
        on_close=AssistantState.close,
        lines=AssistantState.lines,
        has_lines=AssistantState.has_lines,
        sending=AssistantState.sending,
        on_submit=AssistantState.send,
        on_suggestion=AssistantState.ask,
        on_new_chat=AssistantState.new_chat,
        wallet_label=WalletContextState.wallet_label,
        model_label=AssistantState.model_label,
        tokens_used=AssistantState.tokens_used,
        credits_used=AssistantState.credits_used,
        balance=WalletOverviewState.overview.balance,
        percent_used=AssistantState.percent_used,
        percent_text=AssistantState.percent_text,
        balance_status=WalletOverviewState.overview.status,
        near_limit=AssistantState.near_limit,
        limit=AssistantState.limit,
        usage_loading=(AssistantState.usage_for != WalletContextState.key)
        | (WalletOverviewState.loaded_for != WalletContextState.key),
        notice_kind=AssistantState.notice_kind,
        notice_text=AssistantState.notice_text,
        can_retry=AssistantState.can_retry,
        on_retry=AssistantState.retry,
        can_buy=WalletContextState.can_buy,
        on_buy=PurchaseState.open_buy_dialog,
        credits_href=WalletContextState.credits_href,
    )
