"""The last step before paying: confirm the package and the wallet, then go to Checkout.

Naming the wallet here matters: buying for an organization and for yourself look alike, and
the two wallets never share credits. Opened from outside the package grid (the AI assistant's
"Buy credits"), `show_picker` turns the package line into a choice of every package.
"""

from collections.abc import Callable
from typing import Any, NamedTuple

import reflex as rx

from credits_app import styles

StrProp = rx.Var[str] | str
BoolProp = rx.Var[bool] | bool


class DialogStatus(NamedTuple):
    """Where the dialog stands: open, sending to Checkout, the last error, picker shown."""

    open: BoolProp
    submitting: BoolProp
    error: StrProp
    show_picker: BoolProp


class DialogEvents(NamedTuple):
    """What the dialog's controls do (bound to `PurchaseState` by the view)."""

    on_open_change: Callable[..., Any]
    on_confirm: Callable[..., Any]
    on_select_package: Callable[..., Any]


def buy_credits_modal(
    package: rx.Var[Any],
    packages: rx.Var[Any],
    *,
    status: DialogStatus,
    wallet_label: StrProp,
    events: DialogEvents,
) -> rx.Component:
    """A dialog summarising the purchase; `on_confirm` starts Checkout."""
    submitting, error = status.submitting, status.error
    package_line = rx.cond(
        status.show_picker,
        _package_picker(packages, package.id, events.on_select_package, submitting),
        _line("Package", package.name),
    )
    return rx.dialog.root(
        rx.dialog.content(
            rx.vstack(
                rx.dialog.title("Confirm your purchase", margin="0"),
                rx.dialog.description(
                    "You will be taken to our payment provider to pay securely.",
                    size=styles.BODY_SIZE,
                    **styles.CAPTION_STYLE,
                ),
                rx.box(
                    rx.vstack(
                        package_line,
                        _line(
                            "Credits",
                            rx.fragment(package.total_credits, " credits"),
                            rx.cond(
                                package.has_bonus,
                                rx.fragment("incl. ", package.bonus_credits, " bonus credits"),
                                "",
                            ),
                        ),
                        _line("Pay into", wallet_label),
                        rx.divider(),
                        _line("Total", package.price, emphasis=True),
                        spacing="3",
                        width="100%",
                    ),
                    padding="16px",
                    border_radius=styles.BORDER_RADIUS,
                    background=styles.SUBTLE_BACKGROUND,
                    width="100%",
                ),
                rx.cond(
                    error,
                    rx.callout(
                        error, icon="circle-alert", color_scheme="red", size="1", width="100%"
                    ),
                ),
                rx.flex(
                    rx.dialog.close(
                        rx.button(
                            "Cancel",
                            variant="soft",
                            color_scheme="gray",
                            size="3",
                            width=styles.FULL_WIDTH_ON_PHONES,
                        ),
                    ),
                    rx.button(
                        rx.icon("lock", size=styles.ICON_SIZE),
                        "Continue to payment",
                        size="3",
                        loading=submitting,
                        on_click=events.on_confirm,
                        id="confirm-purchase",
                        width=styles.FULL_WIDTH_ON_PHONES,
                    ),
                    # Side by side on wider screens; stacked, main action on top, on phones.
                    direction=rx.breakpoints(initial="column-reverse", xs="row"),
                    justify="end",
                    gap="12px",
                    width="100%",
                ),
                spacing=styles.GAP_MEDIUM,
                width="100%",
            ),
            max_width="440px",
            id="buy-credits-dialog",
        ),
        open=status.open,
        on_open_change=events.on_open_change,
    )


def _package_picker(
    packages: rx.Var[Any],
    selected_id: rx.Var[Any],
    on_select: Callable[..., Any],
    disabled: BoolProp,
) -> rx.Component:
    """The package as a choice: name, credits and price of each."""
    return rx.hstack(
        rx.text("Package", size=styles.BODY_SIZE, **styles.CAPTION_STYLE),
        rx.select.root(
            rx.select.trigger(id="buy-package-picker", min_width="0", aria_label="Package"),
            rx.select.content(
                rx.foreach(
                    packages,
                    lambda option: rx.select.item(
                        rx.fragment(
                            option.name,
                            " · ",
                            option.total_credits,
                            " credits · ",
                            option.price,
                        ),
                        value=option.id.to(str),
                    ),
                ),
                position="popper",
            ),
            value=selected_id.to(str),
            on_change=on_select,
            disabled=disabled,
            size="2",
        ),
        justify="between",
        align="center",
        width="100%",
    )


def _line(
    label: str, value: StrProp | rx.Component, note: StrProp = "", *, emphasis: bool = False
) -> rx.Component:
    return rx.hstack(
        rx.text(label, size=styles.BODY_SIZE, **styles.CAPTION_STYLE),
        rx.vstack(
            rx.text(
                value,
                size="4" if emphasis else styles.BODY_SIZE,
                weight="bold" if emphasis else "medium",
                text_align="right",
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
