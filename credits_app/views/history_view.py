"""The History tab: the wallet's lots ("Expiring credits") and the transaction table."""

import reflex as rx

from credits_app import styles
from credits_app.components.credits.credits_expiring_lots import credits_expiring_lots
from credits_app.components.credits.credits_transaction_history import (
    HistoryEvents,
    HistoryFilters,
    credits_transaction_history,
)
from credits_app.state.history_presenters import category_options, type_options
from credits_app.state.history_state import HistoryState
from credits_app.state.refund_state import RefundState
from credits_app.state.wallet_overview_state import WalletOverviewState
from credits_app.views.loading import not_loaded


def history_view() -> rx.Component:
    """What the credits are made of, then the filtered, paged ledger of the wallet in context."""
    return rx.vstack(
        credits_expiring_lots(
            WalletOverviewState.overview, loading=not_loaded(WalletOverviewState.loaded_for)
        ),
        _transactions(),
        spacing=styles.GAP_MEDIUM,
        width="100%",
        # The date range is in the browser's zone, like every time the page shows.
        on_mount=rx.call_script(
            "Intl.DateTimeFormat().resolvedOptions().timeZone",
            callback=HistoryState.set_time_zone,
        ),
    )


def _transactions() -> rx.Component:
    return credits_transaction_history(
        HistoryState.history,
        filters=HistoryFilters(
            type_value=HistoryState.type_filter,
            category_value=HistoryState.category_filter,
            type_options=[(option.value, option.label) for option in type_options()],
            category_options=[(option.value, option.label) for option in category_options()],
            search=HistoryState.search,
            date_from=HistoryState.date_from,
            date_to=HistoryState.date_to,
        ),
        events=HistoryEvents(
            on_type_change=HistoryState.set_type_filter,
            on_category_change=HistoryState.set_category_filter,
            on_clear_filters=HistoryState.clear_filters,
            on_previous=HistoryState.previous_page,
            on_next=HistoryState.next_page,
            on_search=HistoryState.set_search,
            on_date_from=HistoryState.set_date_from,
            on_date_to=HistoryState.set_date_to,
            on_open_entry=HistoryState.open_entry,
            on_close_entry=HistoryState.close_entry,
            # A real download (the browser follows Content-Disposition), not an in-app route.
            on_export=rx.download(url=HistoryState.export_href),
            on_refund=RefundState.open_dialog,
        ),
        loading=not_loaded(HistoryState.loaded_for),
        selected=HistoryState.selected,
        drawer_open=HistoryState.drawer_open,
    )
