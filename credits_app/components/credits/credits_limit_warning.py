"""Banners for a wallet that needs attention: low or critical balance, monthly limit near or hit.

Nothing shows when all is well. Each banner says what happens next and offers the fix (buy
credits) when the viewer is allowed to; otherwise it says who can.
"""

from collections.abc import Callable
from typing import Any

import reflex as rx

from credits_app import styles
from credits_app.components.common import buy_or_ask_action

StrProp = rx.Var[str] | str
IntProp = rx.Var[int] | int
BoolProp = rx.Var[bool] | bool


def credits_limit_warning(
    *,
    status: StrProp,
    balance: StrProp,
    low_threshold: StrProp,
    critical_threshold: StrProp,
    limit_reached: BoolProp,
    near_limit: BoolProp,
    used_this_month: StrProp,
    monthly_limit: StrProp,
    percent_used: IntProp,
    can_buy: BoolProp,
    on_buy: Callable[..., Any],
) -> rx.Component:
    """Zero, one or two banners: the balance one, then the monthly-limit one."""
    buy = buy_or_ask_action(can_buy, on_buy, note_size=styles.BODY_SIZE, class_name="warning-buy")
    balance_banner = rx.match(
        status,
        (
            "critical",
            _banner(
                "circle-alert",
                styles.CRITICAL_COLOR,
                "Your balance is critically low",
                rx.fragment(
                    balance,
                    " credits left",
                    rx.cond(
                        critical_threshold,
                        rx.fragment(" (critical at ", critical_threshold, ")"),
                        "",
                    ),
                    ". Anything that spends credits stops when the wallet is empty.",
                ),
                buy,
                "warning-critical",
            ),
        ),
        (
            "low",
            _banner(
                "triangle-alert",
                styles.LOW_COLOR,
                "Your balance is running low",
                rx.fragment(
                    balance,
                    " credits left",
                    rx.cond(low_threshold, rx.fragment(" (warning at ", low_threshold, ")"), ""),
                    ". Top up to avoid interruptions.",
                ),
                buy,
                "warning-low",
            ),
        ),
        rx.fragment(),
    )
    limit_banner = rx.cond(
        limit_reached,
        _banner(
            "octagon-x",
            styles.CRITICAL_COLOR,
            "Monthly spending limit reached",
            rx.fragment(
                used_this_month,
                " of ",
                monthly_limit,
                " credits used. New charges are refused until next month or a higher limit.",
            ),
            rx.fragment(),
            "warning-limit-reached",
        ),
        rx.cond(
            near_limit,
            _banner(
                "gauge",
                styles.LOW_COLOR,
                rx.fragment(percent_used, "% of this month's limit used"),
                rx.fragment(
                    used_this_month,
                    " of ",
                    monthly_limit,
                    " credits. Charges past the limit will be refused.",
                ),
                rx.fragment(),
                "warning-limit-near",
            ),
        ),
    )
    return rx.vstack(balance_banner, limit_banner, spacing="3", width="100%")


def _banner(
    icon: str,
    color: str,
    title: StrProp | rx.Component,
    body: rx.Component,
    action: rx.Component,
    element_id: str,
) -> rx.Component:
    """A tinted bar in the status colour: icon, what is wrong and what follows, then the fix."""
    return rx.flex(
        rx.hstack(
            rx.icon(icon, size=18, flex_shrink="0", margin_top="2px"),
            rx.vstack(
                rx.text(title, weight="bold", size=styles.BODY_SIZE),
                rx.text(body, size=styles.BODY_SIZE),
                spacing="1",
            ),
            align="start",
            spacing="3",
        ),
        action,
        direction=rx.breakpoints(initial="column", sm="row"),
        justify="between",
        align=rx.breakpoints(initial="start", sm="center"),
        gap="12px",
        id=element_id,
        role="alert",
        **styles.banner_style(color),
    )
