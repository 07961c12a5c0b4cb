"""The balance card: a big, readable balance and how much of this month's budget is spent.

Stateless: it takes the `OverviewView` (state/overview_presenters.py) whole, every figure already
formatted, so the card never does money arithmetic. Until the first real figures arrive it
shows placeholders only: no "Healthy", no "0 %", nothing that looks like data.
"""

from typing import Any

import reflex as rx

from credits_app import styles
from credits_app.components.card import card, card_header
from credits_app.components.common import placeholder

StrProp = rx.Var[str] | str
BoolProp = rx.Var[bool] | bool


def credits_balance_card(view: rx.Var[Any], *, label: StrProp, loading: BoolProp) -> rx.Component:
    """The wallet's balance with a status badge and this month's spending bar."""
    return card(
        card_header(label, "", rx.cond(loading, placeholder("22px", "72px"), _badge(view))),
        rx.cond(loading, placeholder(styles.BALANCE_PLACEHOLDER_HEIGHT, "220px"), _amount(view)),
        rx.cond(loading | (view.next_expiry == ""), rx.fragment(), _next_expiry(view)),
        rx.divider(),
        rx.cond(loading, placeholder("56px"), _month_progress(view)),
        id="credits-balance-card",
        aria_busy=rx.cond(loading, "true", "false"),
    )


def _amount(view: rx.Var[Any]) -> rx.Component:
    return rx.hstack(
        rx.text(view.balance, id="credits-balance", **BALANCE_STYLE),
        rx.text(styles.CREDITS_UNIT, size=styles.UNIT_SIZE, **styles.UNIT_STYLE),
        align="baseline",
        spacing=styles.GAP_SMALL,
        wrap="wrap",
    )


def _next_expiry(view: rx.Var[Any]) -> rx.Component:
    """ "1,000 credits expire on 14 Dec": the soonest lot to lapse, so nobody is surprised."""
    return rx.hstack(
        rx.icon("hourglass", size=styles.SMALL_ICON_SIZE, color=rx.color(styles.LOW_COLOR, 11)),
        rx.text(view.next_expiry, size=styles.BODY_SIZE, id="credits-next-expiry"),
        spacing=styles.GAP_SMALL,
        align="center",
    )


def _badge(view: rx.Var[Any]) -> rx.Component:
    return rx.match(
        view.status,
        ("critical", _status_badge("circle-alert", "Critical", styles.CRITICAL_COLOR)),
        ("low", _status_badge("triangle-alert", "Low", styles.LOW_COLOR)),
        ("new", _status_badge("sparkles", "New wallet", styles.ACCENT_COLOR)),
        _status_badge("circle-check", "Healthy", styles.OK_COLOR),
    )


def _status_badge(icon: str, text: str, color: str) -> rx.Component:
    return rx.badge(
        rx.icon(icon, size=styles.SMALL_ICON_SIZE),
        text,
        color_scheme=color,
        variant="soft",
        id="credits-status",
    )


def _month_progress(view: rx.Var[Any]) -> rx.Component:
    has_limit = view.monthly_limit != ""
    share = rx.cond(
        has_limit,
        rx.fragment(view.percent_used, "% of the monthly limit"),
        rx.fragment(view.percent_used, "% of this month's credits spent"),
    )
    return rx.vstack(
        rx.hstack(
            rx.text("This month", size=styles.BODY_SIZE, weight="medium"),
            rx.text(
                rx.cond(
                    has_limit,
                    rx.fragment(view.used_this_month, " of ", view.monthly_limit, " credits used"),
                    rx.fragment(view.used_this_month, " credits used · no monthly limit"),
                ),
                size=styles.BODY_SIZE,
                id="credits-month-usage",
                **styles.CAPTION_STYLE,
                **styles.NUMBER_STYLE,
            ),
            justify="between",
            align="center",
            width="100%",
            wrap="wrap",
        ),
        rx.progress(
            value=view.percent_used,
            max=100,
            size="2",
            color_scheme=rx.match(
                view.status,
                ("critical", styles.CRITICAL_COLOR),
                ("low", styles.LOW_COLOR),
                styles.ACCENT_COLOR,
            ),
            width="100%",
            aria_label="Share of this month's credits spent",
            id="credits-month-progress",
        ),
        rx.text(share, size=styles.SMALL_SIZE, **styles.CAPTION_STYLE),
        spacing=styles.GAP_SMALL,
        width="100%",
    )


BALANCE_STYLE: dict[str, Any] = {
    "font_size": styles.BALANCE_FONT_SIZE,
    "font_weight": "700",
    "line_height": "1.1",
    "letter_spacing": "-0.02em",
    "color": styles.TEXT_COLOR,
    "font_variant_numeric": "tabular-nums",
}
