"""This period's AI tokens and credits, the balance, the share used, the 80 % warning."""

from typing import Any

import reflex as rx

from credits_app import styles
from credits_app.components.ai.assistant_props import AssistantBindings


def assistant_usage_strip(b: AssistantBindings) -> rx.Component:
    usage, loading = b.view.usage, b.wallet.loading
    share = rx.cond(
        usage.limit,
        rx.fragment(
            "This month: ", usage.percent_text, " of the ", usage.limit, "-credit monthly limit"
        ),
        rx.fragment("This month: ", usage.percent_text, " of the wallet's credits"),
    )
    balance_color = rx.match(
        b.wallet.status,
        ("critical", styles.CRITICAL_TEXT_COLOR),
        ("low", styles.LOW_TEXT_COLOR),
        styles.TEXT_COLOR,
    )
    return rx.vstack(
        rx.grid(
            _stat("Tokens used", usage.tokens_used, "assistant-tokens", loading),
            _stat("AI credits used", usage.credits_used, "assistant-credits-used", loading),
            _stat("Balance", b.wallet.balance, "assistant-balance", loading, color=balance_color),
            columns="3",
            spacing="3",
            width="100%",
        ),
        rx.skeleton(
            rx.vstack(
                rx.progress(
                    value=usage.percent_used,
                    max=100,
                    size="1",
                    color_scheme=rx.cond(usage.near_limit, styles.LOW_COLOR, styles.ACCENT_COLOR),
                    aria_label="Share of this period used",
                ),
                rx.text(
                    share, size=styles.SMALL_SIZE, id="assistant-share", **styles.CAPTION_STYLE
                ),
                spacing="1",
                width="100%",
            ),
            loading=loading,
            width="100%",
        ),
        rx.cond(usage.near_limit & ~loading, _near_limit(usage)),
        spacing="2",
        **styles.ASSISTANT_USAGE_STYLE,
    )


def _near_limit(usage: Any) -> rx.Component:
    return rx.hstack(
        rx.icon("gauge", size=styles.ICON_SIZE, flex_shrink="0", margin_top="2px"),
        rx.text(
            rx.cond(
                usage.limit,
                rx.fragment(
                    "You have used ",
                    usage.percent_text,
                    " of this month's limit. Requests past it are refused.",
                ),
                rx.fragment(
                    "You have used ",
                    usage.percent_text,
                    " of this month's credits. Top up to keep using 2Bot.",
                ),
            ),
            size=styles.SMALL_SIZE,
            weight="medium",
        ),
        align="start",
        spacing="2",
        id="assistant-near-limit",
        role="status",
        **(styles.banner_style(styles.LOW_COLOR) | {"padding": "8px 10px"}),
    )


def _stat(
    label: str,
    value: Any,
    element_id: str,
    loading: Any,
    *,
    color: Any = styles.TEXT_COLOR,
) -> rx.Component:
    return rx.vstack(
        rx.text(label, **styles.ASSISTANT_STAT_LABEL_STYLE),
        rx.skeleton(
            rx.text(
                value, size="3", weight="bold", id=element_id, color=color, **styles.NUMBER_STYLE
            ),
            loading=loading,
        ),
        spacing="1",
        align="start",
        min_width="0",
    )
