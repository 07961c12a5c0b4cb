"""Why the last request got no answer, and the way forward (buy, raise the limit, try again)."""

from typing import Any

import reflex as rx

from credits_app import styles
from credits_app.components.ai.assistant_props import AssistantBindings
from credits_app.components.common import buy_or_ask_action


def assistant_notice(b: AssistantBindings) -> rx.Component:
    notice = b.view.notice
    buy = buy_or_ask_action(
        b.wallet.can_buy, b.wallet.on_buy, note_size=styles.SMALL_SIZE, id="assistant-buy"
    )
    retry = rx.cond(
        b.can_retry,
        rx.button(
            rx.icon("rotate-ccw", size=styles.ICON_SIZE),
            "Try again",
            size="2",
            variant="soft",
            color_scheme="gray",
            on_click=b.actions.retry,
            id="assistant-retry",
        ),
    )
    raise_limit = rx.cond(
        notice.settings_href,
        rx.link(
            rx.button(
                rx.icon("settings", size=styles.ICON_SIZE),
                "Open Settings",
                size="2",
                variant="soft",
                color_scheme=styles.CRITICAL_COLOR,
            ),
            href=notice.settings_href,
            underline="none",
            id="assistant-settings",
        ),
        rx.link(
            rx.button("View credits", size="2", variant="soft", color_scheme=styles.CRITICAL_COLOR),
            href=b.wallet.credits_href,
            underline="none",
        ),
    )
    return rx.match(
        notice.kind,
        (
            "insufficient_credits",
            _box("wallet", styles.CRITICAL_COLOR, "Not enough credits", notice, buy),
        ),
        (
            "monthly_limit_reached",
            _box(
                "octagon-x",
                styles.CRITICAL_COLOR,
                "This request does not fit the monthly limit",
                notice,
                raise_limit,
            ),
        ),
        (
            "ai_provider_error",
            _box("cloud-off", "gray", "2Bot is unavailable", notice, retry),
        ),
        _box("circle-alert", "gray", "Not sent", notice, retry),
    )


def _box(icon: str, color: str, title: str, notice: Any, action: rx.Component) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.icon(icon, size=18, flex_shrink="0", margin_top="2px"),
            rx.vstack(
                rx.text(title, weight="bold", size=styles.BODY_SIZE),
                rx.text(notice.text, size=styles.BODY_SIZE),
                spacing="1",
            ),
            align="start",
            spacing="3",
        ),
        action,
        spacing="3",
        id="assistant-notice",
        role="alert",
        custom_attrs={"data-kind": notice.kind},
        **styles.banner_style(color),
    )
