"""Expiring credits: the wallet's lots with credits left, in the order they will be spent.

Stateless: it takes the `OverviewView` (state/overview_presenters.py), whose `lots` rows are
already in words ("Promotion", "14 Dec 2026", "Never expires"). Lots expiring within 30 days are
marked, so a user sees what to spend first and what is about to go.
"""

from typing import Any

import reflex as rx

from credits_app import styles
from credits_app.components.card import card, card_header
from credits_app.components.common import placeholder

BoolProp = rx.Var[bool] | bool


def credits_expiring_lots(view: rx.Var[Any], *, loading: BoolProp) -> rx.Component:
    """A card listing every lot: amount left, where it came from, when it expires."""
    return card(
        card_header(
            "Expiring credits",
            "Your credits by where they came from. The soonest to expire are spent first.",
        ),
        rx.cond(
            loading,
            placeholder("72px"),
            rx.cond(
                view.lots.length() > 0,
                rx.vstack(rx.foreach(view.lots, _lot_row), spacing="0", width="100%"),
                rx.text(
                    "No credits yet.",
                    size=styles.BODY_SIZE,
                    id="credits-lots-empty",
                    **styles.CAPTION_STYLE,
                ),
            ),
        ),
        id="credits-expiring-lots",
    )


def _lot_row(lot: rx.Var[Any]) -> rx.Component:
    return rx.flex(
        rx.vstack(
            rx.text(lot.source, size=styles.BODY_SIZE, weight="medium"),
            rx.cond(
                lot.held != "",
                rx.text(lot.held, size=styles.SMALL_SIZE, **styles.CAPTION_STYLE),
                rx.fragment(),
            ),
            spacing="0",
            align="start",
        ),
        rx.hstack(
            rx.badge(
                rx.cond(
                    lot.expires_at != "",
                    rx.icon("hourglass", size=styles.SMALL_ICON_SIZE),
                    rx.icon("infinity", size=styles.SMALL_ICON_SIZE),
                ),
                lot.expires,
                color_scheme=rx.cond(lot.expires_soon, styles.LOW_COLOR, "gray"),
                variant="soft",
                class_name="lot-expiry",
            ),
            rx.text(
                lot.remaining,
                " credits",
                size=styles.BODY_SIZE,
                weight="bold",
                class_name="lot-remaining",
                **styles.NUMBER_STYLE,
            ),
            spacing=styles.GAP_SMALL,
            align="center",
            wrap="wrap",
        ),
        justify="between",
        align="center",
        gap="12px",
        width="100%",
        padding_y="10px",
        border_bottom=f"1px solid {styles.BORDER_COLOR}",
        class_name="credits-lot",
        custom_attrs={"data-lot-id": lot.id},
    )
