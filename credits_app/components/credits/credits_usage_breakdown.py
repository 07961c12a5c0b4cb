"""Where the credits went: per category, and for AI per feature (chat, image, TTS, STT) and model.

Category rows carry a colour slot so each dot matches its bar in the chart above. Shares are
whole percentages computed on the server from exact amounts.
"""

from typing import Any

import reflex as rx

from credits_app import styles
from credits_app.components.card import card, card_header
from credits_app.components.common import empty_state, placeholder, placeholder_lines

BoolProp = rx.Var[bool] | bool

CATEGORY_COLORS = rx.Var.create(styles.CHART_CATEGORY_COLORS)
FEATURE_ICONS = {
    "chat": "message-square",
    "image": "image",
    "tts": "audio-lines",
    "stt": "mic",
}


def credits_usage_breakdown(view: rx.Var[Any], *, loading: BoolProp) -> rx.Component:
    """Two cards side by side (stacked on phones): categories, and AI details."""
    return rx.grid(
        card(
            card_header("By category", "Share of all credits spent in this period."),
            rx.cond(
                loading,
                placeholder_lines(3),
                rx.cond(
                    view.has_usage,
                    rx.vstack(
                        rx.foreach(view.categories, _category_row), spacing="3", width="100%"
                    ),
                    empty_state(
                        "chart-pie", "Nothing spent yet", "Categories appear with spending."
                    ),
                ),
            ),
            id="breakdown-categories",
        ),
        card(
            card_header(
                "AI usage",
                rx.cond(
                    loading,
                    placeholder("18px", "200px"),
                    rx.text(rx.fragment(view.ai_total, " credits on AI in this period.")),
                ),
            ),
            rx.cond(loading, placeholder_lines(3), _ai_details(view)),
            id="breakdown-ai",
        ),
        columns=styles.BREAKDOWN_GRID_COLUMNS,
        spacing=styles.GAP_MEDIUM,
        width="100%",
    )


def _ai_details(view: rx.Var[Any]) -> rx.Component:
    return rx.vstack(
        rx.grid(
            rx.foreach(view.features, _feature_tile),
            columns=styles.FEATURE_GRID_COLUMNS,
            spacing="2",
            width="100%",
        ),
        rx.cond(
            view.has_ai_usage,
            rx.vstack(
                rx.text("By model", size=styles.BODY_SIZE, weight="medium"),
                rx.foreach(view.models, _model_row),
                spacing="3",
                width="100%",
            ),
            rx.text("No AI charges in this period.", size=styles.BODY_SIZE, **styles.CAPTION_STYLE),
        ),
        spacing=styles.GAP_MEDIUM,
        width="100%",
    )


def _share_row(label: rx.Component, row: rx.Var[Any], color: Any) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            label,
            rx.hstack(
                rx.text(row.amount, size=styles.BODY_SIZE, weight="medium", **styles.NUMBER_STYLE),
                rx.text(
                    rx.fragment(row.percent, "%"),
                    size=styles.BODY_SIZE,
                    width="44px",
                    text_align="right",
                    **styles.CAPTION_STYLE,
                    **styles.NUMBER_STYLE,
                ),
                spacing="2",
                align="center",
            ),
            justify="between",
            align="center",
            width="100%",
        ),
        rx.box(
            rx.box(
                width=row.percent.to_string() + "%",
                height="100%",
                background=color,
                border_radius="999px",
            ),
            **SHARE_BAR_TRACK_STYLE,
        ),
        spacing="1",
        width="100%",
    )


def _category_row(row: rx.Var[Any]) -> rx.Component:
    color = CATEGORY_COLORS[row.color_index.to(int)]
    label = rx.hstack(
        rx.box(background=color, **LEGEND_DOT_STYLE),
        rx.text(row.label, size=styles.BODY_SIZE),
        align="center",
        spacing="2",
    )
    return rx.box(_share_row(label, row, color), class_name="category-row", width="100%")


def _model_row(row: rx.Var[Any]) -> rx.Component:
    label = rx.hstack(
        rx.icon("cpu", size=styles.SMALL_ICON_SIZE, color=styles.MUTED_TEXT_COLOR),
        rx.code(row.label, variant="ghost", size=styles.BODY_SIZE),
        align="center",
        spacing="2",
    )
    return rx.box(_share_row(label, row, styles.ACCENT_TEXT_COLOR), width="100%")


def _feature_tile(row: rx.Var[Any]) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.match(
                row.key,
                *[
                    (key, rx.icon(icon, size=styles.SMALL_ICON_SIZE))
                    for key, icon in FEATURE_ICONS.items()
                ],
                rx.icon("sparkles", size=styles.SMALL_ICON_SIZE),
            ),
            rx.text(row.label, size=styles.SMALL_SIZE, weight="medium"),
            align="center",
            spacing="1",
            **styles.CAPTION_STYLE,
        ),
        rx.text(row.amount, size="4", weight="bold", **styles.NUMBER_STYLE),
        spacing="1",
        class_name="feature-tile",
        custom_attrs={"data-feature": row.key},
        **FEATURE_TILE_STYLE,
    )


LEGEND_DOT_STYLE: dict[str, Any] = {
    "width": "10px",
    "height": "10px",
    "min_width": "10px",
    "border_radius": "3px",
}
SHARE_BAR_TRACK_STYLE: dict[str, Any] = {
    "width": "100%",
    "height": "6px",
    "border_radius": "999px",
    "background": styles.SUBTLE_BACKGROUND,
    "overflow": "hidden",
}
FEATURE_TILE_STYLE: dict[str, Any] = {
    "padding": "12px",
    "border_radius": "10px",
    "background": styles.SUBTLE_BACKGROUND,
    "width": "100%",
}
