"""The 2Bot AI assistant on every dashboard page: the widget bound to `AssistantState`.

Its balance is the header's (`WalletOverviewState`), so the widget and the top bar always show
the same number; "Buy credits" opens the shared buy-credits dialog for the wallet in context.
"""

import reflex as rx

from credits_app.components.ai.assistant_props import (
    AssistantActions,
    AssistantBindings,
    AssistantWallet,
)
from credits_app.components.ai.two_bot_ai_assistant_widget import two_bot_ai_assistant_widget
from credits_app.state.assistant_state import AssistantState
from credits_app.state.purchase_state import PurchaseState
from credits_app.state.wallet_context_state import WalletContextState
from credits_app.state.wallet_overview_state import WalletOverviewState

UPLOAD_ID = "assistant-upload"


def assistant_widget() -> rx.Component:
    """The launcher and the panel for the wallet in context."""
    loading = (AssistantState.view.usage_for != WalletContextState.key) | (
        WalletOverviewState.loaded_for != WalletContextState.key
    )
    return two_bot_ai_assistant_widget(
        AssistantBindings(
            view=AssistantState.view,
            lines=AssistantState.lines,
            open=AssistantState.open,
            has_lines=AssistantState.has_lines,
            sending=AssistantState.sending,
            recording=AssistantState.recording,
            streaming_text=AssistantState.streaming_text,
            mode=AssistantState.mode,
            can_retry=AssistantState.can_retry,
            show_history=AssistantState.show_history,
            conversations=AssistantState.conversations,
            wallet=AssistantWallet(
                label=WalletContextState.wallet_label,
                balance=WalletOverviewState.overview.balance,
                status=WalletOverviewState.overview.status,
                loading=loading,
                can_buy=WalletContextState.can_buy,
                credits_href=WalletContextState.credits_href,
                on_buy=PurchaseState.open_buy_dialog,
            ),
            actions=AssistantActions(
                toggle=AssistantState.toggle,
                close=AssistantState.close,
                submit=AssistantState.send,
                suggestion=AssistantState.ask,
                new_chat=AssistantState.new_chat,
                retry=AssistantState.retry,
                set_mode=AssistantState.set_mode,
                read_aloud=AssistantState.read_aloud,
                upload=AssistantState.transcribe(rx.upload_files(upload_id=UPLOAD_ID)),
                record=AssistantState.toggle_recording(UPLOAD_ID),
                toggle_history=AssistantState.toggle_history,
                open_conversation=AssistantState.open_conversation,
                delete_conversation=AssistantState.remove_conversation,
            ),
            upload_id=UPLOAD_ID,
        )
    )
