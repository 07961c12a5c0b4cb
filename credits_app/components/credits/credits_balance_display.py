"""The header's compact balance: a pill that turns amber (low) or red (critical).

Colour is never the only signal: the icon changes too, and the tooltip spells out the status
and the wallet's thresholds. The pill links to the credits page of the wallet it shows.
"""

import reflex as rx

from credits_app import styles

StrProp = rx.Var[str] | str
BoolProp = rx.Var[bool] | bool

STATUS_ICONS = {"ok": "coins", "low": "triangle-alert", "critical": "circle-alert"}


def credits_balance_display(
    balance: StrProp,
    *,
    status: StrProp = "ok",
    tooltip: StrProp = "",
    href: StrProp = "/credits",
    loading: BoolProp = False,
) -> rx.Component:
    """Render the balance pill for the top bar (status is "ok", "low" or "critical")."""
    return rx.tooltip(
        rx.link(
            # Radix's skeleton styles its single child, so the match sits in a box.
            rx.skeleton(
                rx.box(
                    rx.match(
                        status,
                        ("critical", _pill(balance, "critical")),
                        ("low", _pill(balance, "low")),
                        _pill(balance, "ok"),
                    ),
                    min_width="88px",
                ),
                loading=loading,
            ),
            href=href,
            underline="none",
            id="header-balance-link",
            aria_label="Credit balance",
        ),
        content=tooltip,
    )


def _pill(balance: StrProp, status: str) -> rx.Component:
    return rx.hstack(
        rx.icon(STATUS_ICONS[status], size=styles.ICON_SIZE),
        rx.text(balance, id="header-balance", size=styles.BODY_SIZE),
        rx.text(
            styles.CREDITS_UNIT,
            size=styles.BODY_SIZE,
            weight="regular",
            display=["none", "none", "inline"],
        ),
        align="center",
        spacing="1",
        custom_attrs={"data-status": status},
        **styles.HEADER_BALANCE_STYLE[status],
    )
