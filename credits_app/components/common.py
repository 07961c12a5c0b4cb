"""Small stateless building blocks shared by the credits components: surfaces and empty states.

They exist so every card has the same border, radius, padding and shadow (all from
`styles.py`) and every empty list explains itself the same way.
"""

from typing import Any

import reflex as rx

from credits_app import styles


def surface(*children: rx.Component, **props: object) -> rx.Component:
    """A white card with the app's border, radius, padding and shadow."""
    return rx.box(*children, **(styles.SURFACE_STYLE | props))


def section_title(title: str, subtitle: str | rx.Var[str] = "") -> rx.Component:
    """A card heading with an optional one-line explanation under it."""
    return rx.vstack(
        rx.heading(title, size=styles.SECTION_HEADING_SIZE, weight="bold"),
        rx.cond(
            subtitle,
            rx.text(subtitle, size=styles.BODY_SIZE, **styles.CAPTION_STYLE),
        ),
        spacing="1",
        align="start",
    )


def empty_state(
    icon: str,
    title: str | rx.Var[str],
    description: str | rx.Var[str],
    *actions: rx.Component,
    **props: object,
) -> rx.Component:
    """A dashed panel saying why a list is empty and what to do about it."""
    return rx.vstack(
        rx.flex(rx.icon(icon, size=20), **styles.EMPTY_STATE_ICON_STYLE),
        rx.text(title, size="3", weight="bold"),
        rx.text(description, size=styles.BODY_SIZE, max_width="420px", **styles.CAPTION_STYLE),
        *actions,
        spacing="2",
        **(styles.EMPTY_STATE_STYLE | props),
    )


def buy_or_ask_action(
    can_buy: rx.Var[bool] | bool,
    on_buy: Any,
    *,
    note_size: str,
    **button_props: Any,
) -> rx.Component:
    """'Buy credits' for owners and admins (and personal wallets); members are told who can."""
    return rx.cond(
        can_buy,
        rx.button(
            rx.icon("plus", size=styles.ICON_SIZE),
            "Buy credits",
            size="2",
            on_click=on_buy,
            **button_props,
        ),
        rx.text("Ask an owner or admin to top up.", size=note_size, weight="medium"),
    )
