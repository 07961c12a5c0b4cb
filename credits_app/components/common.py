"""Small stateless building blocks shared by the components: empty states, placeholders, the
buy-or-ask action."""

from typing import Any

import reflex as rx

from credits_app import styles


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


def placeholder(height: str = "20px", width: str = "100%", **props: Any) -> rx.Component:
    """A grey pulsing block standing in for a figure that has not arrived yet.

    Nothing but the block is rendered, so no default value ("0", "Healthy") can be read
    meanwhile, neither on screen nor by a screen reader.
    """
    return rx.skeleton(
        rx.box(height=height, width=width),
        loading=True,
        height=height,
        width=width,
        class_name="uc-placeholder",
        **props,
    )


def placeholder_lines(count: int, height: str = "44px") -> rx.Component:
    """`count` placeholders, one per row of a list that is still loading."""
    return rx.vstack(
        *[placeholder(height) for _ in range(count)],
        spacing=styles.GAP_SMALL,
        width="100%",
        aria_busy="true",
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
