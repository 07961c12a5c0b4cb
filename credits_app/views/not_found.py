"""'Page not found': for unknown URLs, and for an organization the viewer does not belong to
(which must look exactly the same, so an org's existence is never revealed)."""

import reflex as rx

from credits_app import styles
from credits_app.components.common import empty_state


def not_found_view() -> rx.Component:
    """A plain 'page not found' with a way back, never hinting that an organization exists."""
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


def not_found_page_view() -> rx.Component:
    """The whole page for an unknown URL: the brand, a heading, the same panel."""
    return rx.center(
        rx.vstack(
            rx.hstack(
                rx.flex("U", **styles.BRAND_MARK_STYLE),
                rx.text(styles.APP_NAME, size=styles.BRAND_SIZE, weight="bold"),
                align="center",
                spacing=styles.GAP_SMALL,
            ),
            rx.heading("404", as_="h1", size="8", **styles.CAPTION_STYLE),
            not_found_view(),
            align="center",
            spacing=styles.GAP_MEDIUM,
            width="100%",
        ),
        **styles.AUTH_PAGE_STYLE,
    )
