"""Auto-recharge: on/off, threshold, "recharge to", monthly cap, status and the last attempt.

Stateless: it takes the `AutoRechargeCardView` (state/auto_recharge_presenters.py) whole,
form values included. Enabling it while the wallet is already below the threshold opens a
confirmation that says the card will be charged now (the state decides when).
"""

from typing import Any

import reflex as rx

from credits_app import styles
from credits_app.components.card import card, card_header
from credits_app.components.common import placeholder

STATUS_COLORS = (
    ("active", styles.OK_COLOR),
    ("suspended", styles.CRITICAL_COLOR),
    ("needs_payment_method", styles.LOW_COLOR),
)


def auto_recharge_card(
    view: rx.Var[Any],
    *,
    on_enabled: Any,
    on_threshold: Any,
    on_recharge_to: Any,
    on_cap: Any,
    on_save: Any,
    on_confirm: Any,
    on_confirm_open: Any,
) -> rx.Component:
    """The rule's form (read-only for org members) and what it did last."""
    return card(
        card_header(
            "Auto-recharge",
            "Charge the saved card when the balance drops below a threshold.",
            _status_badge(view),
        ),
        rx.cond(
            view.loading,
            placeholder("120px"),
            rx.vstack(
                _switch(view, on_enabled),
                rx.grid(
                    _field(
                        "threshold", "When the balance is below", view.threshold, on_threshold, view
                    ),
                    _field("recharge-to", "Recharge to", view.recharge_to, on_recharge_to, view),
                    _field("cap", "Monthly cap (USD)", view.cap, on_cap, view),
                    columns=rx.breakpoints(initial="1", sm="3"),
                    spacing="4",
                    width="100%",
                ),
                rx.cond(
                    view.error,
                    rx.text(
                        view.error,
                        size=styles.SMALL_SIZE,
                        color=styles.CRITICAL_TEXT_COLOR,
                        id="auto-recharge-error",
                        role="alert",
                    ),
                ),
                _facts(view),
                rx.cond(
                    view.can_edit,
                    rx.button(
                        "Save auto-recharge",
                        on_click=on_save,
                        id="auto-recharge-save",
                        size="2",
                        loading=view.saving,
                    ),
                ),
                spacing="3",
                width="100%",
            ),
        ),
        _confirm_dialog(view, on_confirm, on_confirm_open),
        id="auto-recharge-card",
    )


def _status_badge(view: rx.Var[Any]) -> rx.Component:
    return rx.badge(
        view.status_label,
        color_scheme=rx.match(view.status, *STATUS_COLORS, "gray"),
        id="auto-recharge-status",
        size="2",
    )


def _switch(view: rx.Var[Any], on_enabled: Any) -> rx.Component:
    return rx.hstack(
        rx.switch(
            checked=view.form_enabled,
            on_change=on_enabled,
            disabled=~view.can_edit,
            id="auto-recharge-enabled",
            aria_label="Enable auto-recharge",
        ),
        rx.text("Enable auto-recharge", size=styles.BODY_SIZE),
        align="center",
        spacing="2",
    )


def _field(
    name: str, label: str, value: rx.Var[str], on_change: Any, view: rx.Var[Any]
) -> rx.Component:
    return rx.vstack(
        rx.text(
            label,
            as_="label",
            html_for=f"auto-recharge-{name}",
            size=styles.BODY_SIZE,
            weight="medium",
        ),
        rx.input(
            value=value,
            on_change=on_change,
            id=f"auto-recharge-{name}",
            aria_label=label,  # html_for does not reach the DOM; the name must
            input_mode="decimal",
            disabled=~view.can_edit,
            width="100%",
        ),
        spacing="1",
        width="100%",
    )


def _facts(view: rx.Var[Any]) -> rx.Component:
    return rx.vstack(
        rx.text(
            view.charged_this_month,
            size=styles.SMALL_SIZE,
            color=styles.MUTED_TEXT_COLOR,
            id="auto-recharge-charged",
        ),
        rx.cond(
            view.last_attempt,
            rx.text(
                "Last attempt: ",
                view.last_attempt,
                rx.cond(view.last_message, " — " + view.last_message.to(str), ""),
                size=styles.SMALL_SIZE,
                color=styles.MUTED_TEXT_COLOR,
                id="auto-recharge-last-attempt",
            ),
        ),
        rx.cond(
            ~view.has_card,
            rx.text(
                "Save a card first: auto-recharge needs one.",
                size=styles.SMALL_SIZE,
                color=styles.MUTED_TEXT_COLOR,
            ),
        ),
        spacing="1",
    )


def _confirm_dialog(view: rx.Var[Any], on_confirm: Any, on_open: Any) -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Charge your card now?"),
            rx.alert_dialog.description(
                "The balance is already below the threshold, so enabling auto-recharge charges "
                "the saved card right away to bring it up to ",
                view.recharge_to,
                " credits.",
                size=styles.BODY_SIZE,
            ),
            rx.hstack(
                rx.alert_dialog.cancel(
                    rx.button(
                        "Not now", variant="soft", color_scheme="gray", id="auto-recharge-cancel"
                    )
                ),
                rx.alert_dialog.action(
                    rx.button(
                        "Enable and charge now", on_click=on_confirm, id="auto-recharge-confirm"
                    )
                ),
                spacing="3",
                justify="end",
                margin_top="16px",
            ),
        ),
        open=view.confirm_open,
        on_open_change=on_open,
    )
