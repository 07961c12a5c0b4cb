"""The ledger as a table: type and category filters, signed coloured amounts, keyset paging.

Rows arrive formatted (`HistoryView`, state/history_presenters.py); credits in are green with a
"+", credits out are plain with a minus sign, so the table reads like a bank statement. Paging
is previous/next because the service pages by cursor, not by offset. Times show in the
viewer's zone, with UTC on hover.
"""

from collections.abc import Callable
from typing import Any, NamedTuple

import reflex as rx

from credits_app import styles
from credits_app.components.card import card, card_header
from credits_app.components.common import empty_state, placeholder_lines
from credits_app.components.credits.refund_dialog import refund_button
from credits_app.components.local_time import local_time

StrProp = rx.Var[str] | str
BoolProp = rx.Var[bool] | bool
EventCallback = Callable[..., Any]

COLUMNS = ("Date", "Description", "Type", "Category", "Amount", "Balance", "Details")
NUMERIC_COLUMNS = {"Amount", "Balance"}


class HistoryEvents(NamedTuple):
    """What the table's controls do; the view binds them to `HistoryState`."""

    on_type_change: EventCallback
    on_category_change: EventCallback
    on_clear_filters: EventCallback
    on_previous: EventCallback
    on_next: EventCallback
    on_search: EventCallback
    on_date_from: EventCallback
    on_date_to: EventCallback
    on_open_entry: EventCallback  # (entry id)
    on_close_entry: EventCallback
    on_export: EventCallback  # downloads the CSV of the current filters
    on_refund: EventCallback | None = None  # (entry id): opens the Refund dialog of a row


class HistoryFilters(NamedTuple):
    """The filter values on screen and the choices each select offers."""

    type_value: StrProp
    category_value: StrProp
    type_options: list[tuple[str, str]]  # (value, label)
    category_options: list[tuple[str, str]]
    search: StrProp
    date_from: StrProp  # YYYY-MM-DD or ""
    date_to: StrProp


def credits_transaction_history(
    view: rx.Var[Any],
    *,
    filters: HistoryFilters,
    events: HistoryEvents,
    loading: BoolProp,
    selected: rx.Var[Any],
    drawer_open: BoolProp,
) -> rx.Component:
    """Filters, the table (or an empty state), the pager, and the detail drawer."""
    return card(
        card_header(
            "Transactions",
            "Every credit in and out of this wallet, newest first.",
            rx.button(
                rx.icon("download", size=styles.ICON_SIZE),
                "Export CSV",
                variant="soft",
                color_scheme="gray",
                on_click=events.on_export,
                id="history-export",
            ),
        ),
        rx.flex(
            rx.debounce_input(
                rx.input(
                    rx.input.slot(rx.icon("search", size=styles.ICON_SIZE)),
                    value=filters.search,
                    on_change=events.on_search,
                    placeholder="Search descriptions",
                    aria_label="Search descriptions",
                    id="history-search",
                    min_width="200px",
                    flex="1",
                ),
                debounce_timeout=350,
            ),
            _date("history-from", "From (your time zone)", filters.date_from, events.on_date_from),
            _date("history-to", "To (your time zone)", filters.date_to, events.on_date_to),
            _filter(
                "history-type-filter",
                "Transaction type",
                filters.type_value,
                filters.type_options,
                events.on_type_change,
            ),
            _filter(
                "history-category-filter",
                "Category",
                filters.category_value,
                filters.category_options,
                events.on_category_change,
            ),
            gap="8px",
            wrap="wrap",
            width="100%",
        ),
        rx.cond(
            loading,
            placeholder_lines(styles.SKELETON_ROWS),
            rx.cond(
                view.rows.length() > 0,
                rx.fragment(
                    _table(view.rows, events),
                    _compact_list(view.rows, events),
                ),
                _empty(view.filtered, events.on_clear_filters),
            ),
        ),
        _pager(view, events),
        _drawer(selected, drawer_open, events.on_close_entry),
        id="history-card",
    )


def _date(element_id: str, name: str, value: StrProp, on_change: EventCallback) -> rx.Component:
    return rx.input(
        type="date",
        value=value,
        on_change=on_change,
        aria_label=name,
        title=name,
        id=element_id,
        width="auto",
    )


def _details_button(row: rx.Var[Any], on_open: EventCallback) -> rx.Component:
    return rx.icon_button(
        rx.icon("panel-right-open", size=styles.ICON_SIZE),
        variant="ghost",
        color_scheme="gray",
        size="1",
        aria_label="Details of entry #" + row.id,
        on_click=on_open(row.id),
        class_name="history-open",
    )


def _drawer(selected: rx.Var[Any], is_open: BoolProp, on_close: EventCallback) -> rx.Component:
    """One entry in full: amount, time, and its metadata in words (model, tokens…)."""
    return rx.drawer.root(
        rx.drawer.overlay(z_index="40"),
        rx.drawer.portal(
            rx.drawer.content(
                rx.vstack(
                    rx.hstack(
                        rx.drawer.title(selected.description, size="4"),
                        rx.drawer.close(
                            rx.icon_button(
                                rx.icon("x", size=18),
                                variant="ghost",
                                color_scheme="gray",
                                aria_label="Close details",
                            )
                        ),
                        justify="between",
                        align="start",
                        width="100%",
                    ),
                    rx.drawer.description(
                        selected.type_label,
                        rx.cond(selected.category_label, " · " + selected.category_label, ""),
                        size=styles.BODY_SIZE,
                        **styles.CAPTION_STYLE,
                    ),
                    rx.text(selected.amount, size="6", weight="bold", **styles.NUMBER_STYLE),
                    rx.text(
                        local_time(selected.at, selected.at_utc),
                        " · balance after ",
                        selected.balance_after,
                        size=styles.BODY_SIZE,
                        **styles.CAPTION_STYLE,
                    ),
                    rx.divider(),
                    rx.el.dl(
                        rx.foreach(
                            selected.details,
                            lambda detail: rx.fragment(
                                rx.el.dt(detail.label, **DETAIL_LABEL_STYLE),
                                rx.el.dd(detail.value, **DETAIL_VALUE_STYLE),
                            ),
                        ),
                        id="history-details",
                        width="100%",
                    ),
                    rx.cond(
                        selected.lots.length() > 0,
                        rx.vstack(
                            rx.heading("Credits taken from", as_="h3", size="2"),
                            rx.foreach(selected.lots, _lot_line),
                            spacing="2",
                            width="100%",
                            id="history-lots",
                        ),
                    ),
                    spacing="3",
                    width="100%",
                ),
                id="history-drawer",
                **DRAWER_STYLE,
            ),
        ),
        direction="right",
        open=is_open,
        on_open_change=lambda is_open_now: on_close(),
    )


def _lot_line(lot: rx.Var[Any]) -> rx.Component:
    """One lot the entry used: which, how much, and its expiry in the viewer's zone."""
    return rx.flex(
        rx.vstack(
            rx.text(lot.label, size=styles.BODY_SIZE, weight="medium"),
            rx.text(
                rx.cond(
                    lot.expires_at,
                    rx.fragment("expires ", local_time(lot.expires_at, lot.expires_utc, "date")),
                    "never expires",
                ),
                size=styles.SMALL_SIZE,
                **styles.CAPTION_STYLE,
            ),
            spacing="0",
        ),
        rx.text(lot.amount, size=styles.BODY_SIZE, **styles.NUMBER_STYLE),
        justify="between",
        align="center",
        width="100%",
        class_name="history-lot",
        custom_attrs={"data-lot": lot.lot_id},
    )


def _filter(
    element_id: str,
    name: str,
    value: StrProp,
    options: list[tuple[str, str]],
    on_change: EventCallback,
) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(id=element_id, min_width="170px", aria_label=name, title=name),
        rx.select.content(*[rx.select.item(label, value=option) for option, label in options]),
        value=value,
        on_change=on_change,
        size="2",
        name=element_id,
    )


def _header_cell(title: str) -> rx.Component:
    align = "right" if title in NUMERIC_COLUMNS else "left"
    return rx.table.column_header_cell(title, text_align=align, white_space="nowrap")


def _actions(row: rx.Var[Any], events: HistoryEvents) -> rx.Component:
    """The row's Refund action (where a self-service refund is possible), then its details."""
    details = _details_button(row, events.on_open_entry)
    if events.on_refund is None:
        return details
    return rx.hstack(
        rx.cond(row.refundable, refund_button(row, events.on_refund)),
        details,
        spacing="2",
        align="center",
        justify="end",
    )


def _description_cell(row: rx.Var[Any]) -> rx.Component:
    """The description, and what links the entry to another (a transfer's other side)."""
    return rx.vstack(
        rx.text(row.description, size=styles.BODY_SIZE),
        rx.cond(
            row.link,
            rx.text(
                row.link, size=styles.SMALL_SIZE, class_name="history-link", **styles.CAPTION_STYLE
            ),
        ),
        spacing="0",
    )


def _table(rows: rx.Var[list[Any]], events: HistoryEvents) -> rx.Component:
    """The full table, for tablets and wider."""
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(*[_header_cell(title) for title in COLUMNS])),
            rx.table.body(rx.foreach(rows, lambda row: _row(row, events))),
            variant="ghost",
            size="2",
            min_width=styles.HISTORY_TABLE_MIN_WIDTH,
            id="history-table",
        ),
        display=styles.WIDE_ONLY,
        **TABLE_WRAPPER_STYLE,
    )


def _compact_list(rows: rx.Var[list[Any]], events: HistoryEvents) -> rx.Component:
    """On phones: one line per entry, description and date left, signed amount right."""
    return rx.vstack(
        rx.foreach(rows, lambda row: _compact_row(row, events)),
        spacing="0",
        width="100%",
        display=styles.NARROW_ONLY,
        id="history-list",
    )


def _compact_row(row: rx.Var[Any], events: HistoryEvents) -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.text(row.description, size=styles.BODY_SIZE, weight="medium"),
            rx.cond(row.link, rx.text(row.link, size=styles.SMALL_SIZE, **styles.CAPTION_STYLE)),
            rx.text(
                local_time(row.at, row.at_utc, "date"),
                " · ",
                row.type_label,
                rx.cond(row.category_label, " · " + row.category_label, ""),
                size=styles.SMALL_SIZE,
                **styles.CAPTION_STYLE,
            ),
            spacing="1",
            min_width="0",
        ),
        rx.hstack(
            rx.vstack(
                _amount_text(row),
                rx.text(row.balance_after, size=styles.SMALL_SIZE, **styles.CAPTION_STYLE),
                spacing="1",
                align="end",
            ),
            _actions(row, events),
            align="center",
        ),
        justify="between",
        align="start",
        width="100%",
        padding_y="12px",
        border_bottom=styles.CARD_BORDER,
        class_name="history-item",
    )


def _amount_text(row: rx.Var[Any]) -> rx.Component:
    return rx.text(
        row.amount,
        size=styles.BODY_SIZE,
        weight="medium",
        color=rx.cond(row.is_credit, styles.CREDIT_TEXT_COLOR, styles.DEBIT_TEXT_COLOR),
        class_name="history-amount",
        **styles.NUMBER_STYLE,
    )


def _row(row: rx.Var[Any], events: HistoryEvents) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.text(
                    local_time(row.at, row.at_utc, "date"),
                    size=styles.BODY_SIZE,
                    white_space="nowrap",
                ),
                rx.text(
                    local_time(row.at, row.at_utc, "time"),
                    size=styles.SMALL_SIZE,
                    **styles.CAPTION_STYLE,
                ),
                spacing="0",
            )
        ),
        rx.table.cell(_description_cell(row)),
        rx.table.cell(
            rx.badge(
                row.type_label,
                color_scheme=rx.cond(row.is_credit, styles.CREDIT_COLOR, "gray"),
                variant="soft",
                radius="full",
            )
        ),
        rx.table.cell(
            rx.text(
                rx.cond(row.category_label, row.category_label, "—"),
                size=styles.BODY_SIZE,
                **styles.CAPTION_STYLE,
            )
        ),
        rx.table.cell(_amount_text(row), text_align="right"),
        rx.table.cell(
            rx.text(
                row.balance_after,
                size=styles.BODY_SIZE,
                **styles.CAPTION_STYLE,
                **styles.NUMBER_STYLE,
            ),
            text_align="right",
        ),
        rx.table.cell(_actions(row, events), text_align="center"),
        class_name="history-row",
        custom_attrs={"data-type": row.type},
        align="center",
    )


def _empty(filtered: BoolProp, on_clear_filters: EventCallback) -> rx.Component:
    return rx.cond(
        filtered,
        empty_state(
            "filter-x",
            "No transactions match these filters",
            "Try another type or category, or show everything again.",
            rx.button("Clear filters", variant="soft", on_click=on_clear_filters),
            id="history-empty",
        ),
        empty_state(
            "receipt-text",
            "No transactions yet",
            "Purchases, grants and every credit you spend will be listed here.",
            id="history-empty",
        ),
    )


def _pager(view: rx.Var[Any], events: HistoryEvents) -> rx.Component:
    pager = rx.hstack(
        rx.text(
            rx.fragment("Page ", view.page_number), size=styles.BODY_SIZE, **styles.CAPTION_STYLE
        ),
        rx.hstack(
            rx.button(
                rx.icon("chevron-left", size=styles.ICON_SIZE),
                "Newer",
                variant="soft",
                color_scheme="gray",
                disabled=~view.has_previous,
                on_click=events.on_previous,
                id="history-previous",
            ),
            rx.button(
                "Older",
                rx.icon("chevron-right", size=styles.ICON_SIZE),
                variant="soft",
                color_scheme="gray",
                disabled=~view.has_next,
                on_click=events.on_next,
                id="history-next",
            ),
            spacing=styles.GAP_SMALL,
        ),
        justify="between",
        align="center",
        width="100%",
    )
    # One page only: no pager at all, rather than two disabled buttons.
    return rx.cond(view.has_previous | view.has_next, pager)


TABLE_WRAPPER_STYLE: dict[str, Any] = {"width": "100%", "overflow_x": "auto"}

DRAWER_STYLE: dict[str, Any] = {
    "padding": "20px",
    "width": ["100%", "400px"],
    "height": "100%",
    "background": styles.SURFACE_BACKGROUND,
    "z_index": "50",
    "overflow_y": "auto",
}
DETAIL_LABEL_STYLE: dict[str, Any] = {"color": styles.MUTED_TEXT_COLOR, "font_size": "12px"}
DETAIL_VALUE_STYLE: dict[str, Any] = {
    "margin": "0 0 10px 0",
    "overflow_wrap": "anywhere",
    "font_variant_numeric": "tabular-nums",
}
