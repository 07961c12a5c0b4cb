"""What outsiders see for an organization they do not belong to: the same as for none at all."""

import reflex as rx

from credits_app import styles
from credits_app.components.common import empty_state


def not_found_view() -> rx.Component:
    """A plain 'page not found', never hinting that the organization exists."""
    return rx.center(
        empty_state(
            "search-x",
            "Page not found",
            "This page does not exist, or you do not have access to it.",
            rx.link(
                rx.button("Back to my credits", variant="soft"),
                href="/credits",
            ),
            id="not-found",
            max_width="520px",
            background=styles.SURFACE_BACKGROUND,
        ),
        width="100%",
        padding_y="64px",
    )
