"""The saved card: brand, last 4 digits and expiry, with Save/Replace and Remove.

Stateless: it takes the `PaymentMethodView` (state/auto_recharge_presenters.py) whole.
"""

from typing import Any

import reflex as rx

from credits_app import styles
from credits_app.components.card import card, card_header
from credits_app.components.common import placeholder


def payment_method_card(view: rx.Var[Any], *, on_add: Any, on_remove: Any) -> rx.Component:
    """The wallet's card for auto-recharge (owners/admins change it; members only see it)."""
    return card(
        card_header("Payment method", "The card auto-recharge charges, saved with Stripe."),
        rx.cond(
            view.loading,
            placeholder("40px"),
            rx.cond(view.has_card, _saved(view), _none()),
        ),
        rx.cond(
            view.can_edit,
            rx.hstack(
                rx.button(
                    rx.cond(view.has_card, "Replace card", "Save a card"),
                    on_click=on_add,
                    id="payment-method-add",
                    size="2",
                ),
                rx.cond(
                    view.has_card,
                    rx.button(
                        "Remove",
                        on_click=on_remove,
                        id="payment-method-remove",
                        variant="soft",
                        color_scheme=styles.CRITICAL_COLOR,
                        size="2",
                    ),
                ),
                spacing="2",
            ),
            rx.text(
                "Only owners and admins can change the card.",
                size=styles.SMALL_SIZE,
                color=styles.MUTED_TEXT_COLOR,
            ),
        ),
        id="payment-method-card",
    )


def _saved(view: rx.Var[Any]) -> rx.Component:
    return rx.hstack(
        rx.icon("credit-card", size=styles.SMALL_ICON_SIZE),
        rx.text(view.label, size=styles.BODY_SIZE, weight="medium", id="payment-method-label"),
        rx.text(view.expiry, size=styles.SMALL_SIZE, color=styles.MUTED_TEXT_COLOR),
        spacing="2",
        align="center",
    )


def _none() -> rx.Component:
    return rx.text(
        "No card saved.",
        size=styles.BODY_SIZE,
        color=styles.MUTED_TEXT_COLOR,
        id="payment-method-label",
    )
