"""Refund a marketplace spend: all that is still refundable, or a part, with a reason.

Takes one `RefundDialogView` (state/transfer_presenters.py) and its events. It says how much
can still come back and until when (the refund window), and that the credits return to the
lots the purchase was paid with (with their expiry), so nothing here looks like a new grant.
"""

from collections.abc import Callable
from typing import Any, NamedTuple

import reflex as rx

from credits_app import styles
from credits_app.components.dialog_parts import (
    action_row,
    cancel_button,
    error_callout,
    field_message,
    labelled_field,
    summary_box,
)
from credits_app.components.local_time import local_time

EventCallback = Callable[..., Any]


class RefundEvents(NamedTuple):
    """What the dialog's controls do (bound to `RefundState` by the view)."""

    on_open_change: EventCallback
    on_mode: EventCallback  # "all" | "part"
    on_amount: EventCallback
    on_reason: EventCallback
    on_confirm: EventCallback


def refund_button(row: rx.Var[Any], on_refund: EventCallback) -> rx.Component:
    """A History row's Refund action, naming what can come back."""
    return rx.button(
        rx.icon("undo-2", size=styles.SMALL_ICON_SIZE),
        "Refund",
        size="1",
        variant="soft",
        on_click=on_refund(row.id),
        aria_label="Refund up to " + row.refundable + " credits of entry #" + row.id,
        title="Up to " + row.refundable + " credits can be refunded",
        class_name="history-refund",
    )


def refund_dialog(view: rx.Var[Any], events: RefundEvents) -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.vstack(
                rx.dialog.title("Refund this purchase", margin="0"),
                rx.dialog.description(
                    view.description,
                    size=styles.BODY_SIZE,
                    **styles.CAPTION_STYLE,
                ),
                summary_box(
                    rx.hstack(
                        rx.text("Refundable", size=styles.BODY_SIZE, **styles.CAPTION_STYLE),
                        rx.text(
                            view.refundable,
                            size="4",
                            weight="bold",
                            id="refund-refundable",
                            **styles.NUMBER_STYLE,
                        ),
                        justify="between",
                        align="center",
                        width="100%",
                    ),
                    rx.text(
                        "Until ",
                        local_time(view.until, view.until_utc),
                        ". The credits go back where they came from, with their expiry dates.",
                        size=styles.SMALL_SIZE,
                        **styles.CAPTION_STYLE,
                    ),
                ),
                rx.radio_group.root(
                    rx.radio_group.item("Everything still refundable", value="all"),
                    rx.radio_group.item("Part of it", value="part", id="refund-part"),
                    value=rx.cond(view.partial, "part", "all"),
                    on_change=events.on_mode,
                    direction="column",
                    spacing="2",
                    disabled=view.submitting,
                    aria_label="How much to refund",
                    id="refund-mode",
                ),
                rx.cond(
                    view.partial,
                    rx.vstack(
                        labelled_field(
                            "Amount (credits)",
                            "refund-amount",
                            rx.input(
                                value=view.amount,
                                on_change=events.on_amount,
                                placeholder="e.g. 2.5",
                                input_mode="decimal",
                                auto_complete="off",
                                id="refund-amount",
                                width="100%",
                            ),
                        ),
                        rx.cond(
                            view.amount_error,
                            field_message("refund-amount-error", view.amount_error),
                        ),
                        spacing="1",
                        width="100%",
                    ),
                ),
                labelled_field(
                    "Reason (optional)",
                    "refund-reason",
                    rx.input(
                        value=view.reason,
                        on_change=events.on_reason,
                        max_length=300,
                        id="refund-reason",
                        width="100%",
                    ),
                ),
                rx.cond(view.error, error_callout(view.error, "refund-error")),
                action_row(
                    cancel_button(),
                    rx.button(
                        rx.icon("undo-2", size=styles.ICON_SIZE),
                        view.confirm_label,
                        size="3",
                        loading=view.submitting,
                        disabled=~view.can_confirm,
                        on_click=events.on_confirm,
                        id="refund-confirm",
                        width=styles.FULL_WIDTH_ON_PHONES,
                    ),
                ),
                spacing=styles.GAP_MEDIUM,
                width="100%",
            ),
            max_width="440px",
            id="refund-dialog",
        ),
        open=view.open,
        on_open_change=events.on_open_change,
    )
