"""The one card every section sits in, and the one header every card starts with.

A card is a surface with the app's border, radius, padding and shadow; its header is a title
(an `h2`, so the page outline reads well to screen readers), an optional line under it, and
optional controls on the right that wrap below on phones.
"""

from typing import Any

import reflex as rx

from credits_app import styles

TextProp = str | rx.Var[str] | rx.Component


def card(*children: rx.Component, **props: Any) -> rx.Component:
    """A surface holding `children` in a column with the shared gap."""
    return rx.box(
        rx.vstack(*children, spacing=styles.GAP_MEDIUM, width="100%"),
        **(styles.SURFACE_STYLE | props),
    )


def card_header(
    title: TextProp,
    subtitle: TextProp = "",
    *actions: rx.Component,
    subtitle_id: str | None = None,
) -> rx.Component:
    """Title and subtitle on the left, `actions` (filters, switches, a badge) on the right."""
    heading = rx.vstack(
        rx.heading(title, as_="h2", size=styles.SECTION_HEADING_SIZE, weight="bold"),
        _subtitle(subtitle, subtitle_id),
        spacing="1",
        align="start",
        min_width="0",
    )
    if not actions:
        return heading
    return rx.flex(
        heading,
        rx.hstack(*actions, spacing=styles.GAP_SMALL, wrap="wrap", align="center"),
        justify="between",
        align=rx.breakpoints(initial="start", sm="end"),
        direction=rx.breakpoints(initial="column", sm="row"),
        gap="12px",
        width="100%",
    )


def _subtitle(subtitle: TextProp, element_id: str | None) -> rx.Component:
    """The line under the title: nothing for "", hidden while a state string is empty.

    A `div`, not a `p`: a component subtitle may hold a placeholder (a block), and a block in
    a `<p>` is re-parsed by the browser, which breaks React's hydration of the whole page.
    """
    line = rx.text(
        subtitle, as_="div", size=styles.BODY_SIZE, id=element_id, **styles.CAPTION_STYLE
    )
    if isinstance(subtitle, rx.Var):
        return rx.cond(subtitle, line)
    return line if isinstance(subtitle, rx.Component) or subtitle else rx.fragment()
