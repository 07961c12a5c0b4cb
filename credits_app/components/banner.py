"""The one banner: a tinted bar saying what needs attention, what follows, and the fix.

Used for the balance and monthly-limit warnings, the welcome of a new wallet, the assistant's
notices and the "Reconnecting…" bar. Colour is never the only signal: every banner has an icon
and a title in words.
"""

from typing import Any

import reflex as rx

from credits_app import styles

TextProp = str | rx.Var[str] | rx.Component


def banner(
    icon: str,
    color: str,
    title: TextProp,
    body: TextProp = "",
    action: rx.Component | None = None,
    *,
    compact: bool = False,
    role: str = "status",
    **props: Any,
) -> rx.Component:
    """`color` is a Radix scale (styles.LOW_COLOR…); `compact` for narrow panels (the assistant).

    `role="alert"` for something that just went wrong; `status` (the default) for a standing
    condition, so screen readers are told without being interrupted.
    """
    size = styles.SMALL_SIZE if compact else styles.BODY_SIZE
    text = rx.vstack(
        rx.text(title, weight="bold", size=size),
        rx.fragment() if isinstance(body, str) and not body else rx.text(body, size=size),
        spacing="1",
        min_width="0",
    )
    return rx.flex(
        rx.hstack(
            rx.icon(icon, size=16 if compact else 18, flex_shrink="0", margin_top="2px"),
            text,
            align="start",
            spacing="2" if compact else "3",
        ),
        action if action is not None else rx.fragment(),
        direction="column" if compact else rx.breakpoints(initial="column", sm="row"),
        justify="between",
        align="start" if compact else rx.breakpoints(initial="start", sm="center"),
        gap="8px" if compact else "12px",
        role=role,
        **(styles.banner_style(color, compact=compact) | props),
    )
