"""The balance card: a big, readable balance and how much of this month's budget is spent.

Stateless: every figure arrives already formatted, so the card never does money arithmetic.
With a monthly limit the bar measures spending against it; without one it measures spending
against what the month started with (used + balance), the same rule as the AI widget.
"""

import reflex as rx

from credits_app import styles

StrProp = rx.Var[str] | str
IntProp = rx.Var[int] | int
BoolProp = rx.Var[bool] | bool


def credits_balance_card(
    balance: StrProp,
    *,
    label: StrProp = "Personal balance",
    used_this_month: StrProp = "",
    monthly_limit: StrProp = "",
    percent_used: IntProp = 0,
    status: StrProp = "ok",
    caption: StrProp = "",
    message: StrProp = "",
    loading: BoolProp = False,
) -> rx.Component:
    """Render the wallet's balance with a status badge and this month's spending bar.

    A non-empty `message` (e.g. "no wallet yet") replaces the amount, so no stale number shows.
    """
    return rx.box(
        rx.vstack(
            rx.hstack(
                rx.text(label, size=styles.LABEL_SIZE, **styles.CARD_LABEL_STYLE),
                # Radix's skeleton styles its single child: give it a box, not a fragment.
                rx.skeleton(rx.box(_status_badge(status)), loading=loading),
                justify="between",
                align="center",
                width="100%",
            ),
            rx.cond(
                message,
                rx.callout(message, icon="info", size="1", id="credits-balance-message"),
                rx.skeleton(_amount(balance), loading=loading),
            ),
            rx.cond(
                caption,
                rx.text(caption, size=styles.LABEL_SIZE, **styles.CAPTION_STYLE),
            ),
            rx.divider(),
            rx.skeleton(
                _month_progress(used_this_month, monthly_limit, percent_used, status),
                loading=loading,
                width="100%",
            ),
            spacing=styles.GAP_MEDIUM,
            width="100%",
        ),
        id="credits-balance-card",
        **styles.CARD_STYLE,
    )


def _amount(balance: StrProp) -> rx.Component:
    return rx.hstack(
        rx.text(balance, id="credits-balance", **styles.BALANCE_STYLE),
        rx.text(styles.CREDITS_UNIT, size=styles.UNIT_SIZE, **styles.UNIT_STYLE),
        align="baseline",
        spacing=styles.GAP_SMALL,
        wrap="wrap",
    )


def _status_badge(status: StrProp) -> rx.Component:
    return rx.match(
        status,
        (
            "critical",
            rx.badge(
                rx.icon("circle-alert", size=styles.SMALL_ICON_SIZE),
                "Critical",
                color_scheme=styles.CRITICAL_COLOR,
                variant="soft",
            ),
        ),
        (
            "low",
            rx.badge(
                rx.icon("triangle-alert", size=styles.SMALL_ICON_SIZE),
                "Low",
                color_scheme=styles.LOW_COLOR,
                variant="soft",
            ),
        ),
        rx.badge(
            rx.icon("circle-check", size=styles.SMALL_ICON_SIZE),
            "Healthy",
            color_scheme=styles.OK_COLOR,
            variant="soft",
        ),
    )


def _month_progress(
    used: StrProp, limit: StrProp, percent_used: IntProp, status: StrProp
) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text("This month", size=styles.BODY_SIZE, weight="medium"),
            rx.text(
                rx.cond(
                    limit,
                    rx.fragment(used, " of ", limit, " credits used"),
                    rx.fragment(used, " credits used · no monthly limit"),
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
            value=percent_used,
            max=100,
            size="2",
            color_scheme=rx.match(
                status,
                ("critical", styles.CRITICAL_COLOR),
                ("low", styles.LOW_COLOR),
                styles.ACCENT_COLOR,
            ),
            width="100%",
        ),
        rx.text(
            rx.cond(
                limit,
                rx.fragment(percent_used, "% of the monthly limit"),
                rx.fragment(percent_used, "% of this month's credits spent"),
            ),
            size=styles.SMALL_SIZE,
            **styles.CAPTION_STYLE,
        ),
        spacing=styles.GAP_SMALL,
        width="100%",
    )
