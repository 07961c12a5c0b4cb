"""The History tab: the transaction table bound to `HistoryState`."""

import reflex as rx

from credits_app.components.credits.credits_transaction_history import (
    credits_transaction_history,
)
from credits_app.state.history_state import HistoryState
from credits_app.state.presenters import category_options, type_options
from credits_app.state.wallet_context_state import WalletContextState


def history_view() -> rx.Component:
    """Filters, rows and paging of the wallet in context."""
    return credits_transaction_history(
        HistoryState.rows,
        type_filter=HistoryState.type_filter,
        category_filter=HistoryState.category_filter,
        type_options=[dict(option) for option in type_options()],
        category_options=[dict(option) for option in category_options()],
        on_type_change=HistoryState.set_type_filter,
        on_category_change=HistoryState.set_category_filter,
        on_clear_filters=HistoryState.clear_filters,
        page_number=HistoryState.page_number,
        has_previous=HistoryState.has_previous,
        has_next=HistoryState.has_next,
        on_previous=HistoryState.previous_page,
        on_next=HistoryState.next_page,
        filtered=HistoryState.filtered,
        loading=HistoryState.loaded_for != WalletContextState.key,
    )
