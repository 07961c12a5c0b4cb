"""The ledger as a table: type and category filters, signed coloured amounts, keyset paging.

Rows arrive formatted (see `state/presenters.history_row`); credits in are green with a "+",
credits out are plain with a minus sign, so the table reads like a bank statement. Paging is
previous/next because the service pages by cursor, not by offset.
"""

from collections.abc import Callable
from typing import Any

import reflex as rx

from credits_app import styles
from credits_app.components.common import empty_state

StrProp = rx.Var[str] | str
IntProp = rx.Var[int] | int
BoolProp = rx.Var[bool] | bool
EventCallback = Callable[..., Any]

COLUMNS = ("Date", "Description", "Type", "Category", "Amount", "Balance")
NUMERIC_COLUMNS = {"Amount", "Balance"}


def credits_transaction_history(
    rows: rx.Var[list[Any]],
    *,
    type_filter: StrProp,
    category_filter: StrProp,
    type_options: list[dict[str, str]],
    category_options: list[dict[str, str]],
    on_type_change: EventCallback,
    on_category_change: EventCallback,
    on_clear_filters: EventCallback,
    page_number: IntProp,
    has_previous: BoolProp,
    has_next: BoolProp,
    on_previous: EventCallback,
    on_next: EventCallback,
    filtered: BoolProp,
    loading: BoolProp = False,
) -> rx.Component:
    """Render filters, the table (or an empty state) and the pager."""
    return rx.box(
        rx.vstack(
            rx.hstack(
                rx.vstack(
                    rx.heading("Transactions", size=styles.SECTION_HEADING_SIZE),
                    rx.text(
                        "Every credit in and out of this wallet, newest first.",
                        size=styles.BODY_SIZE,
                        **styles.CAPTION_STYLE,
                    ),
                    spacing="1",
                    align="start",
                ),
                rx.hstack(
                    _filter("history-type-filter", type_filter, type_options, on_type_change),
                    _filter(
                        "history-category-filter",
                        category_filter,
                        category_options,
                        on_category_change,
                    ),
                    spacing=styles.GAP_SMALL,
                    wrap="wrap",
                ),
                justify="between",
                align="end",
                width="100%",
                wrap="wrap",
                spacing=styles.GAP_MEDIUM,
            ),
            rx.cond(
                loading,
                _skeleton_table(),
                rx.cond(
                    rows.length() > 0,  # type: ignore[attr-defined]
                    rx.fragment(_table(rows), _compact_list(rows)),
                    _empty(filtered, on_clear_filters),
                ),
            ),
            _pager(page_number, has_previous, has_next, on_previous, on_next),
            spacing=styles.GAP_MEDIUM,
            width="100%",
        ),
        id="history-card",
        **styles.SURFACE_STYLE,
    )


def _filter(
    element_id: str,
    value: StrProp,
    options: list[dict[str, str]],
    on_change: EventCallback,
) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(id=element_id, min_width="170px"),
        rx.select.content(
            *[rx.select.item(option["label"], value=option["value"]) for option in options]
        ),
        value=value,
        on_change=on_change,
        size="2",
    )


def _header_cell(title: str) -> rx.Component:
    align = "right" if title in NUMERIC_COLUMNS else "left"
    return rx.table.column_header_cell(title, text_align=align, white_space="nowrap")


def _table(rows: rx.Var[list[Any]]) -> rx.Component:
    """The full table, for tablets and wider."""
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(*[_header_cell(title) for title in COLUMNS])),
            rx.table.body(rx.foreach(rows, _row)),
            variant="ghost",
            size="2",
            min_width=styles.HISTORY_TABLE_MIN_WIDTH,
            id="history-table",
        ),
        display=styles.WIDE_ONLY,
        **styles.TABLE_WRAPPER_STYLE,
    )


def _compact_list(rows: rx.Var[list[Any]]) -> rx.Component:
    """On phones: one line per entry, description and date left, signed amount right."""
    return rx.vstack(
        rx.foreach(rows, _compact_row),
        spacing="0",
        width="100%",
        display=styles.NARROW_ONLY,
        id="history-list",
    )


def _compact_row(row: rx.Var[Any]) -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.text(row["description"], size=styles.BODY_SIZE, weight="medium"),
            rx.text(
                row["date"],
                " · ",
                row["type_label"],
                rx.cond(row["category_label"], " · " + row["category_label"], ""),
                size=styles.SMALL_SIZE,
                **styles.CAPTION_STYLE,
            ),
            spacing="1",
            min_width="0",
        ),
        rx.vstack(
            _amount_text(row),
            rx.text(row["balance_after"], size=styles.SMALL_SIZE, **styles.CAPTION_STYLE),
            spacing="1",
            align="end",
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
        row["amount"],
        size=styles.BODY_SIZE,
        weight="medium",
        color=rx.cond(row["is_credit"], styles.CREDIT_TEXT_COLOR, styles.DEBIT_TEXT_COLOR),
        class_name="history-amount",
        **styles.NUMBER_STYLE,
    )


def _row(row: rx.Var[Any]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.text(row["date"], size=styles.BODY_SIZE, white_space="nowrap"),
                rx.text(row["time"], size=styles.SMALL_SIZE, **styles.CAPTION_STYLE),
                spacing="0",
            )
        ),
        rx.table.cell(rx.text(row["description"], size=styles.BODY_SIZE)),
        rx.table.cell(
            rx.badge(
                row["type_label"],
                color_scheme=rx.cond(row["is_credit"], styles.CREDIT_COLOR, "gray"),
                variant="soft",
                radius="full",
            )
        ),
        rx.table.cell(
            rx.text(
                rx.cond(row["category_label"], row["category_label"], "—"),
                size=styles.BODY_SIZE,
                **styles.CAPTION_STYLE,
            )
        ),
        rx.table.cell(_amount_text(row), text_align="right"),
        rx.table.cell(
            rx.text(
                row["balance_after"],
                size=styles.BODY_SIZE,
                **styles.CAPTION_STYLE,
                **styles.NUMBER_STYLE,
            ),
            text_align="right",
        ),
        class_name="history-row",
        custom_attrs={"data-type": row["type"]},
        align="center",
    )


def _skeleton_table() -> rx.Component:
    return rx.vstack(
        *[rx.skeleton(height="44px", width="100%") for _ in range(styles.SKELETON_ROWS)],
        spacing=styles.GAP_SMALL,
        width="100%",
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


def _pager(
    page_number: IntProp,
    has_previous: BoolProp,
    has_next: BoolProp,
    on_previous: EventCallback,
    on_next: EventCallback,
) -> rx.Component:
    pager = rx.hstack(
        rx.text(rx.fragment("Page ", page_number), size=styles.BODY_SIZE, **styles.CAPTION_STYLE),
        rx.hstack(
            rx.button(
                rx.icon("chevron-left", size=styles.ICON_SIZE),
                "Newer",
                variant="soft",
                color_scheme="gray",
                disabled=~rx.Var.create(has_previous).bool(),
                on_click=on_previous,
                id="history-previous",
            ),
            rx.button(
                "Older",
                rx.icon("chevron-right", size=styles.ICON_SIZE),
                variant="soft",
                color_scheme="gray",
                disabled=~rx.Var.create(has_next).bool(),
                on_click=on_next,
                id="history-next",
            ),
            spacing=styles.GAP_SMALL,
        ),
        justify="between",
        align="center",
        width="100%",
    )
    # One page only: no pager at all, rather than two disabled buttons.
    return rx.cond(rx.Var.create(has_previous).bool() | rx.Var.create(has_next).bool(), pager)
