"""'Reconnecting…': what people see when the live connection to the server drops.

Replaces Reflex's developer toast ("Cannot connect to server: websocket error. Check if server
is reachable at ws://…"). It appears after the second failed attempt in a row (one blip is not
worth a banner), floats at the top of every page, and goes away by itself once the socket is
back; Reflex keeps retrying meanwhile.
"""

import reflex as rx
from reflex.components.core.banner import has_too_many_connection_errors

from credits_app import styles
from credits_app.components.banner import banner


def connection_banner() -> rx.Component:
    """The banner, rendered only while the connection is down."""
    return rx.cond(
        has_too_many_connection_errors,
        rx.box(
            banner(
                "wifi-off",
                styles.LOW_COLOR,
                "Reconnecting…",
                "The connection to the server was interrupted. Your data is safe; this page "
                "updates again as soon as it is back.",
                rx.spinner(size="2"),
                id="connection-banner",
            ),
            **CONNECTION_BANNER_STYLE,
        ),
    )


CONNECTION_BANNER_STYLE = {
    "position": "fixed",
    "top": "8px",
    "left": "50%",
    "transform": "translateX(-50%)",
    "width": "min(560px, calc(100% - 16px))",
    "z_index": "50",
    "background": styles.SURFACE_BACKGROUND,
    "border_radius": styles.BORDER_RADIUS,
    "box_shadow": styles.SHADOW,
}
