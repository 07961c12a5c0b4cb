"""Banners for a wallet that needs attention: low or critical balance, monthly limit near or hit,
and the welcome of a wallet that never had credits (a new wallet is not an emergency).

Nothing shows when all is well. Each banner says what happens next and offers the fix (buy
credits) when the viewer is allowed to; otherwise it says who can. Takes the `OverviewView`.
"""

from collections.abc import Callable
from typing import Any

import reflex as rx

from credits_app import styles
from credits_app.components.banner import banner
from credits_app.components.common import buy_or_ask_action

BoolProp = rx.Var[bool] | bool


def credits_limit_warning(
    view: rx.Var[Any], *, can_buy: BoolProp, on_buy: Callable[..., Any]
) -> rx.Component:
    """Zero, one or two banners: the balance (or welcome) one, then the monthly-limit one."""
    buy = buy_or_ask_action(can_buy, on_buy, note_size=styles.BODY_SIZE, class_name="warning-buy")
    balance_banner = rx.match(
        view.status,
        (
            "new",
            banner(
                "sparkles",
                styles.ACCENT_COLOR,
                "Welcome! Your wallet is ready",
                "Buy credits to start using AI, marketplace apps, premium features and "
                "subscriptions. You only pay for what you buy.",
                buy,
                id="welcome-banner",
            ),
        ),
        (
            "critical",
            banner(
                "circle-alert",
                styles.CRITICAL_COLOR,
                "Your balance is critically low",
                rx.fragment(
                    view.balance,
                    " credits left",
                    rx.cond(
                        view.critical_threshold,
                        rx.fragment(" (critical at ", view.critical_threshold, ")"),
                        "",
                    ),
                    ". Anything that spends credits stops when the wallet is empty.",
                ),
                buy,
                id="warning-critical",
            ),
        ),
        (
            "low",
            banner(
                "triangle-alert",
                styles.LOW_COLOR,
                "Your balance is running low",
                rx.fragment(
                    view.balance,
                    " credits left",
                    rx.cond(
                        view.low_threshold,
                        rx.fragment(" (warning at ", view.low_threshold, ")"),
                        "",
                    ),
                    ". Top up to avoid interruptions.",
                ),
                buy,
                id="warning-low",
            ),
        ),
        rx.fragment(),
    )
    limit_banner = rx.cond(
        view.limit_reached,
        banner(
            "octagon-x",
            styles.CRITICAL_COLOR,
            "Monthly spending limit reached",
            rx.fragment(
                view.used_this_month,
                " of ",
                view.monthly_limit,
                " credits used. New charges are refused until next month or a higher limit.",
            ),
            id="warning-limit-reached",
        ),
        rx.cond(
            view.near_limit,
            banner(
                "gauge",
                styles.LOW_COLOR,
                rx.fragment(view.percent_used, "% of this month's limit used"),
                rx.fragment(
                    view.used_this_month,
                    " of ",
                    view.monthly_limit,
                    " credits. Charges past the limit will be refused.",
                ),
                id="warning-limit-near",
            ),
        ),
    )
    return rx.vstack(balance_banner, limit_banner, spacing="3", width="100%")
