"""The pieces the credits dialogs (buy, send, refund) are built from.

One place for them so the three dialogs look and behave alike (a summary box, labelled fields,
errors announced to screen readers, buttons stacked with the main action on top on phones) and
a change of layout is made once.
"""

from typing import Any

import reflex as rx

from credits_app import styles

LABEL_STYLE: dict[str, Any] = {"font_size": "13px", "font_weight": "500"}


def summary_box(*lines: rx.Component, **props: Any) -> rx.Component:
    """What the dialog is about to do, in one shaded box of label/value lines."""
    return rx.box(
        rx.vstack(*lines, spacing="3", width="100%"),
        padding="16px",
        border_radius=styles.BORDER_RADIUS,
        background=styles.SUBTLE_BACKGROUND,
        width="100%",
        **props,
    )


def summary_line(label: str, value: Any, note: Any = "", *, emphasis: bool = False) -> rx.Component:
    """A label on the left, its value (and an optional note under it) on the right."""
    return rx.hstack(
        rx.text(label, size=styles.BODY_SIZE, **styles.CAPTION_STYLE),
        rx.vstack(
            rx.text(
                value,
                size="4" if emphasis else styles.BODY_SIZE,
                weight="bold" if emphasis else "medium",
                text_align="right",
                overflow_wrap="anywhere",
                **styles.NUMBER_STYLE,
            ),
            rx.cond(note, rx.text(note, size=styles.SMALL_SIZE, **styles.CAPTION_STYLE)),
            spacing="0",
            align="end",
        ),
        justify="between",
        align="start",
        width="100%",
    )


def labelled_field(label: str, element_id: str, control: rx.Component) -> rx.Component:
    """A visible label tied to its control by id (axe: every input is named)."""
    return rx.vstack(
        rx.el.label(label, html_for=element_id, **LABEL_STYLE),
        control,
        spacing="1",
        width="100%",
    )


def field_message(element_id: str, text: Any) -> rx.Component:
    """The reason one field is refused, under it."""
    return rx.text(text, size=styles.SMALL_SIZE, color=styles.CRITICAL_TEXT_COLOR, id=element_id)


def error_callout(text: Any, element_id: str) -> rx.Component:
    """The server's refusal of the whole request, read out when it appears (role=alert)."""
    return rx.callout(
        text,
        icon="circle-alert",
        color_scheme="red",
        size="1",
        width="100%",
        id=element_id,
        role="alert",
    )


def cancel_button() -> rx.Component:
    """Closes the dialog without doing anything."""
    return rx.dialog.close(
        rx.button(
            "Cancel",
            variant="soft",
            color_scheme="gray",
            size="3",
            width=styles.FULL_WIDTH_ON_PHONES,
        ),
    )


def action_row(*buttons: rx.Component) -> rx.Component:
    """Side by side on wide screens; stacked with the main action on top on phones."""
    return rx.flex(
        *buttons,
        direction=rx.breakpoints(initial="column-reverse", xs="row"),
        justify="end",
        gap="12px",
        width="100%",
    )
