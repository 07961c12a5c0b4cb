"""The header's compact balance: a pill that turns amber (low) or red (critical).

Colour is never the only signal: the icon changes too, and the tooltip spells out the exact
balance, the status and the wallet's thresholds. The pill shows at most two decimals
(`OverviewView.header_balance`) and links to the credits page of the wallet it shows.
"""

from typing import Any

import reflex as rx

from credits_app import styles
from credits_app.components.common import placeholder

StrProp = rx.Var[str] | str
BoolProp = rx.Var[bool] | bool

STATUS_ICONS = {"ok": "coins", "new": "coins", "low": "triangle-alert", "critical": "circle-alert"}


def credits_balance_display(view: rx.Var[Any], *, href: StrProp, loading: BoolProp) -> rx.Component:
    """The balance pill for the top bar (a placeholder until the first figures arrive)."""
    pill = rx.tooltip(
        rx.link(
            rx.match(
                view.status,
                ("critical", _pill(view, "critical")),
                ("low", _pill(view, "low")),
                ("new", _pill(view, "new")),
                _pill(view, "ok"),
            ),
            href=href,
            underline="none",
            id="header-balance-link",
            aria_label="Credit balance: " + view.balance + " credits",
        ),
        content=view.tooltip,
    )
    return rx.cond(loading, placeholder("30px", "96px", id="header-balance-loading"), pill)


def _pill(view: rx.Var[Any], status: str) -> rx.Component:
    return rx.hstack(
        rx.icon(STATUS_ICONS[status], size=styles.ICON_SIZE),
        rx.text(view.header_balance, id="header-balance", size=styles.BODY_SIZE),
        rx.text(
            styles.CREDITS_UNIT,
            size=styles.BODY_SIZE,
            weight="regular",
            display=["none", "none", "inline"],
        ),
        align="center",
        spacing="1",
        custom_attrs={"data-status": status},
        **PILL_STYLES[status],
    )


PILL_BASE_STYLE: dict[str, Any] = {
    "padding": "4px 10px",
    "border_radius": "999px",
    "border": f"1px solid {styles.BORDER_COLOR}",
    "background": styles.SURFACE_BACKGROUND,
    "color": styles.TEXT_COLOR,
    "font_weight": "600",
    "font_variant_numeric": "tabular-nums",
    "white_space": "nowrap",
    "_hover": {"background": styles.HOVER_BACKGROUND},
}


def _tinted(color: str) -> dict[str, Any]:
    return PILL_BASE_STYLE | {
        "background": rx.color(color, 3),
        "border": f"1px solid {rx.color(color, 7)}",
        "color": rx.color(color, 11),
        "_hover": {"background": rx.color(color, 4)},
    }


PILL_STYLES: dict[str, dict[str, Any]] = {
    "ok": PILL_BASE_STYLE,
    "new": PILL_BASE_STYLE,
    "low": _tinted(styles.LOW_COLOR),
    "critical": _tinted(styles.CRITICAL_COLOR),
}
