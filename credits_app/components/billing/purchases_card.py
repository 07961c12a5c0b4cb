"""Purchases on the Billing page: every purchase with its status, and the pending checkouts.

Stateless: the view passes a list var of `PurchaseRow`s and the events. A receipt opens in a
new tab (our PDF with the simulator, Stripe's receipt page with real Stripe).
"""

from collections.abc import Callable
from typing import Any

import reflex as rx

from credits_app import styles
from credits_app.components.card import card, card_header
from credits_app.components.common import empty_state
from credits_app.components.local_time import local_time

Handler = Callable[..., Any]


def purchases_card(
    rows: rx.Var[list[Any]],
    loaded: rx.Var[bool],
    has_more: rx.Var[bool],
    on_show_more: Handler,
) -> rx.Component:
    """Every purchase of the wallet, newest first, a page at a time ("Show more")."""
    return card(
        card_header("Purchases", "Every purchase of this wallet, with its receipt once paid."),
        rx.cond(
            loaded,
            rx.cond(
                rx.Var.create(rows).length() > 0,  # type: ignore[attr-defined]
                rx.vstack(
                    _purchases_table(rows),
                    rx.cond(
                        has_more,
                        rx.button(
                            "Show more purchases",
                            on_click=on_show_more,
                            variant="soft",
                            id="purchases-show-more",
                        ),
                    ),
                    spacing="3",
                    width="100%",
                ),
                empty_state(
                    "receipt",
                    "No purchases yet",
                    "Credits you buy for this wallet appear here, each with its receipt.",
                ),
            ),
            rx.skeleton(rx.box(height="120px", width="100%"), loading=True),
        ),
        id="purchases-card",
    )


def _purchases_table(rows: rx.Var[list[Any]]) -> rx.Component:
    return rx.box(
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    *[
                        rx.table.column_header_cell(label)
                        for label in ("Date", "Item", "Credits", "Amount", "Status")
                    ],
                    rx.table.column_header_cell(rx.el.span("Receipt")),
                )
            ),
            rx.table.body(rx.foreach(rows, _purchase_row)),
            variant="ghost",
            size="2",
            width="100%",
            min_width="640px",
        ),
        overflow_x="auto",
        width="100%",
        id="purchases-table",
    )


def pending_checkouts_card(
    rows: rx.Var[list[Any]], busy_id: rx.Var[int], on_resume: Handler, on_abandon: Handler
) -> rx.Component:
    """Checkouts you opened and did not finish: pay them now, or abandon them."""
    return rx.cond(
        rx.Var.create(rows).length() > 0,  # type: ignore[attr-defined]
        card(
            card_header(
                "Pending checkouts",
                "You started these purchases but have not paid yet. Nothing has been charged.",
            ),
            rx.vstack(
                rx.foreach(rows, lambda row: _pending_row(row, busy_id, on_resume, on_abandon)),
                spacing="0",
                width="100%",
            ),
            id="pending-checkouts-card",
        ),
    )


def _purchase_row(row: rx.Var[Any]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(local_time(row.created_at, row.created_utc, part="date")),
        rx.table.cell(
            rx.vstack(
                rx.text(row.description, size=styles.BODY_SIZE, weight="medium"),
                rx.text(row.buyer_email, size=styles.SMALL_SIZE, **styles.CAPTION_STYLE),
                spacing="0",
            )
        ),
        rx.table.cell(
            rx.vstack(
                rx.text(row.credits, size=styles.BODY_SIZE, **styles.NUMBER_STYLE),
                rx.cond(
                    row.bonus_note,
                    rx.text(row.bonus_note, size=styles.SMALL_SIZE, **styles.CAPTION_STYLE),
                ),
                spacing="0",
            )
        ),
        rx.table.cell(
            rx.vstack(
                rx.text(row.price, size=styles.BODY_SIZE, **styles.NUMBER_STYLE),
                rx.cond(
                    row.refunded,
                    rx.text(row.refunded, size=styles.SMALL_SIZE, **styles.CAPTION_STYLE),
                ),
                spacing="0",
            )
        ),
        rx.table.cell(
            # High contrast: amber "Pending" on its soft background fails WCAG AA otherwise.
            rx.badge(
                row.status_label, color_scheme=row.status_color, variant="soft", high_contrast=True
            ),
            class_name="purchase-status",
        ),
        rx.table.cell(
            rx.cond(
                row.receipt_href,
                rx.link(
                    rx.hstack(
                        rx.icon("file-text", size=styles.SMALL_ICON_SIZE),
                        rx.text("Receipt", size=styles.BODY_SIZE),
                        spacing="1",
                        align="center",
                    ),
                    href=row.receipt_href,
                    is_external=True,
                    class_name="purchase-receipt",
                    aria_label="Receipt for purchase " + row.id.to_string(),
                ),
                rx.text("—", size=styles.BODY_SIZE, **styles.CAPTION_STYLE),
            )
        ),
        class_name="purchase-row",
        custom_attrs={"data-purchase-id": row.id.to_string(), "data-status": row.status},
    )


def _pending_row(
    row: rx.Var[Any], busy_id: rx.Var[int], on_resume: Handler, on_abandon: Handler
) -> rx.Component:
    busy = busy_id == row.id
    return rx.flex(
        rx.vstack(
            rx.text(row.description, " · ", row.credits, size=styles.BODY_SIZE, weight="medium"),
            rx.text(
                row.price,
                " · started ",
                local_time(row.created_at, row.created_utc),
                size=styles.SMALL_SIZE,
                **styles.CAPTION_STYLE,
            ),
            spacing="0",
        ),
        rx.hstack(
            rx.button(
                "Abandon",
                variant="soft",
                color_scheme="gray",
                size="2",
                disabled=busy,
                on_click=on_abandon(row.id),
                class_name="pending-abandon",
                aria_label="Abandon checkout " + row.id.to_string(),
            ),
            rx.button(
                rx.icon("lock", size=styles.ICON_SIZE),
                "Pay now",
                size="2",
                loading=busy,
                on_click=on_resume(row.id),
                class_name="pending-resume",
                aria_label="Pay checkout " + row.id.to_string(),
            ),
            spacing="2",
        ),
        justify="between",
        align="center",
        wrap="wrap",
        gap="12px",
        width="100%",
        padding_y="10px",
        border_bottom=styles.CARD_BORDER,
        class_name="pending-row",
        custom_attrs={"data-purchase-id": row.id.to_string()},
    )
