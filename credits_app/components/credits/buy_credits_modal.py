"""The last step before paying: a package or a custom amount, the wallet, then Checkout.

Naming the wallet here matters: buying for an organization and for yourself look alike, and
the two wallets never share credits. Opened from outside the package grid (the AI assistant's
"Buy credits"), `show_picker` turns the package line into a choice of every package and offers
a custom amount, whose live quote (unit price, savings, bonus) is the price Checkout charges.
"""

from collections.abc import Callable
from typing import Any, NamedTuple

import reflex as rx

from credits_app import styles
from credits_app.components.dialog_parts import (
    action_row,
    cancel_button,
    error_callout,
    summary_box,
    summary_line,
)

StrProp = rx.Var[str] | str
BoolProp = rx.Var[bool] | bool


class DialogStatus(NamedTuple):
    """Where the dialog stands: open, sending to Checkout, the last error, picker shown."""

    open: BoolProp
    submitting: BoolProp
    error: StrProp
    show_picker: BoolProp


class CustomAmount(NamedTuple):
    """The custom side: package or custom mode, what was typed, its quote (a `QuoteView`)."""

    mode: StrProp
    credits: StrProp
    quote: rx.Var[Any]
    error: StrProp
    range_hint: StrProp


class DialogEvents(NamedTuple):
    """What the dialog's controls do (bound to `PurchaseState` by the view)."""

    on_open_change: Callable[..., Any]
    on_confirm: Callable[..., Any]
    on_select_package: Callable[..., Any]
    on_mode_change: Callable[..., Any]
    on_custom_change: Callable[..., Any]


def buy_credits_modal(
    package: rx.Var[Any],
    packages: rx.Var[Any],
    *,
    status: DialogStatus,
    custom: CustomAmount,
    wallet_label: StrProp,
    events: DialogEvents,
) -> rx.Component:
    """A dialog summarising the purchase; `on_confirm` starts Checkout."""
    submitting, error = status.submitting, status.error
    package_line = rx.cond(
        status.show_picker,
        _package_picker(packages, package.id, events.on_select_package, submitting),
        summary_line("Package", package.name),
    )
    is_custom = custom.mode == "custom"
    return rx.dialog.root(
        rx.dialog.content(
            rx.vstack(
                rx.dialog.title("Buy credits", margin="0"),
                rx.dialog.description(
                    "You will be taken to our payment provider to pay securely.",
                    size=styles.BODY_SIZE,
                    **styles.CAPTION_STYLE,
                ),
                rx.cond(
                    status.show_picker,
                    rx.segmented_control.root(
                        rx.segmented_control.item("Package", value="package"),
                        rx.segmented_control.item("Custom amount", value="custom"),
                        value=custom.mode,
                        on_change=events.on_mode_change,
                        width="100%",
                        id="buy-mode",
                        aria_label="Buy a package or a custom amount",
                    ),
                ),
                rx.cond(
                    is_custom,
                    _custom_summary(custom, wallet_label, events.on_custom_change, submitting),
                    _package_summary(package, package_line, wallet_label),
                ),
                rx.cond(error, error_callout(error, "buy-credits-error")),
                action_row(
                    cancel_button(),
                    rx.button(
                        rx.icon("lock", size=styles.ICON_SIZE),
                        "Continue to payment",
                        size="3",
                        loading=submitting,
                        disabled=is_custom & ~custom.quote.valid.to(bool),
                        on_click=events.on_confirm,
                        id="confirm-purchase",
                        width=styles.FULL_WIDTH_ON_PHONES,
                    ),
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


def _package_summary(
    package: rx.Var[Any], package_line: rx.Component, wallet_label: StrProp
) -> rx.Component:
    return summary_box(
        package_line,
        summary_line(
            "Credits",
            rx.fragment(package.total_credits, " credits"),
            rx.cond(
                package.has_bonus,
                rx.fragment("incl. ", package.bonus_credits, " bonus credits"),
                "",
            ),
        ),
        summary_line("Pay into", wallet_label),
        rx.divider(),
        summary_line("Total", package.price, emphasis=True),
    )


def _custom_summary(
    custom: CustomAmount,
    wallet_label: StrProp,
    on_change: Callable[..., Any],
    disabled: BoolProp,
) -> rx.Component:
    """The amount field and its live quote: unit price, savings, bonus, total."""
    quote = custom.quote
    field = rx.vstack(
        rx.text(
            "Credits to buy",
            as_="label",
            custom_attrs={"htmlFor": "custom-credits"},
            size=styles.BODY_SIZE,
            weight="medium",
        ),
        rx.debounce_input(
            rx.input(
                value=custom.credits,
                on_change=on_change,
                id="custom-credits",
                input_mode="numeric",
                placeholder="e.g. 2500",
                max_length=12,
                disabled=disabled,
                width="100%",
                aria_describedby="custom-credits-hint",
            ),
            debounce_timeout=250,
        ),
        rx.text(
            rx.cond(custom.error, custom.error, custom.range_hint),
            id="custom-credits-hint",
            size=styles.SMALL_SIZE,
            color=rx.cond(custom.error, styles.CRITICAL_TEXT_COLOR, styles.MUTED_TEXT_COLOR),
            role=rx.cond(custom.error, "alert", "status"),
        ),
        spacing="1",
        width="100%",
    )
    return rx.vstack(
        field,
        summary_box(
            summary_line(
                "Unit price",
                rx.text(quote.unit_price, as_="span", id="quote-unit-price"),
                rx.cond(quote.savings, quote.savings, quote.price_per_thousand),
            ),
            summary_line(
                "Credits",
                rx.text(quote.total_credits, " credits", as_="span", id="quote-credits"),
                rx.cond(
                    quote.has_bonus,
                    rx.fragment("incl. ", quote.bonus_credits, " bonus credits"),
                    "",
                ),
            ),
            summary_line("Pay into", wallet_label),
            rx.divider(),
            summary_line(
                "Total", rx.text(quote.price, as_="span", id="quote-price"), emphasis=True
            ),
            id="custom-quote",
            opacity=rx.cond(quote.valid, "1", "0.5"),
        ),
        spacing=styles.GAP_MEDIUM,
        width="100%",
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
