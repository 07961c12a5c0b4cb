"""Where the credits went: per category, and for AI per feature (chat, image, TTS, STT) and model.

Category rows carry a colour slot so each dot matches its bar in the chart above. Shares are
whole percentages computed on the server from exact amounts.
"""

from typing import Any

import reflex as rx

from credits_app import styles
from credits_app.components.common import empty_state

StrProp = rx.Var[str] | str
BoolProp = rx.Var[bool] | bool

CATEGORY_COLORS = rx.Var.create(styles.CHART_CATEGORY_COLORS)
FEATURE_ICONS = {
    "chat": "message-square",
    "image": "image",
    "tts": "audio-lines",
    "stt": "mic",
}


def credits_usage_breakdown(
    by_category: rx.Var[list[Any]],
    by_model: rx.Var[list[Any]],
    by_feature: rx.Var[list[Any]],
    *,
    has_usage: BoolProp,
    has_ai_usage: BoolProp,
    ai_total: StrProp,
    loading: BoolProp = False,
) -> rx.Component:
    """Two cards side by side (stacked on phones): categories, and AI details."""
    return rx.grid(
        _card(
            "By category",
            "Share of all credits spent in this period.",
            rx.cond(
                has_usage,
                rx.vstack(rx.foreach(by_category, _category_row), spacing="3", width="100%"),
                empty_state("chart-pie", "Nothing spent yet", "Categories appear with spending."),
            ),
            loading,
            "breakdown-categories",
        ),
        _card(
            "AI usage",
            rx.fragment(ai_total, " credits on AI in this period."),
            rx.vstack(
                rx.grid(
                    rx.foreach(by_feature, _feature_tile),
                    columns=styles.FEATURE_GRID_COLUMNS,
                    spacing="2",
                    width="100%",
                ),
                rx.cond(
                    has_ai_usage,
                    rx.vstack(
                        rx.text("By model", size=styles.BODY_SIZE, weight="medium"),
                        rx.foreach(by_model, _model_row),
                        spacing="3",
                        width="100%",
                    ),
                    rx.text(
                        "No AI charges in this period.",
                        size=styles.BODY_SIZE,
                        **styles.CAPTION_STYLE,
                    ),
                ),
                spacing=styles.GAP_MEDIUM,
                width="100%",
            ),
            loading,
            "breakdown-ai",
        ),
        columns=styles.BREAKDOWN_GRID_COLUMNS,
        spacing=styles.GAP_MEDIUM,
        width="100%",
    )


def _card(
    title: str,
    subtitle: StrProp | rx.Component,
    body: rx.Component,
    loading: BoolProp,
    element_id: str,
) -> rx.Component:
    return rx.box(
        rx.vstack(
            rx.vstack(
                rx.heading(title, size=styles.SECTION_HEADING_SIZE),
                rx.text(subtitle, size=styles.BODY_SIZE, **styles.CAPTION_STYLE),
                spacing="1",
            ),
            rx.skeleton(rx.box(body, width="100%"), loading=loading, width="100%"),
            spacing=styles.GAP_MEDIUM,
            width="100%",
        ),
        id=element_id,
        **styles.SURFACE_STYLE,
    )


def _share_row(label: rx.Component, row: rx.Var[Any], color: Any) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            label,
            rx.hstack(
                rx.text(
                    row["amount"], size=styles.BODY_SIZE, weight="medium", **styles.NUMBER_STYLE
                ),
                rx.text(
                    rx.fragment(row["percent"], "%"),
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
                width=row["percent"].to_string() + "%",
                height="100%",
                background=color,
                border_radius="999px",
            ),
            **styles.SHARE_BAR_TRACK_STYLE,
        ),
        spacing="1",
        width="100%",
    )


def _category_row(row: rx.Var[Any]) -> rx.Component:
    color = CATEGORY_COLORS[row["color_index"].to(int)]
    label = rx.hstack(
        rx.box(background=color, **styles.LEGEND_DOT_STYLE),
        rx.text(row["label"], size=styles.BODY_SIZE),
        align="center",
        spacing="2",
    )
    return rx.box(_share_row(label, row, color), class_name="category-row", width="100%")


def _model_row(row: rx.Var[Any]) -> rx.Component:
    label = rx.hstack(
        rx.icon("cpu", size=styles.SMALL_ICON_SIZE, color=styles.MUTED_TEXT_COLOR),
        rx.code(row["label"], variant="ghost", size=styles.BODY_SIZE),
        align="center",
        spacing="2",
    )
    return rx.box(_share_row(label, row, styles.ACCENT_TEXT_COLOR), width="100%")


def _feature_tile(row: rx.Var[Any]) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.match(
                row["key"],
                *[
                    (key, rx.icon(icon, size=styles.SMALL_ICON_SIZE))
                    for key, icon in FEATURE_ICONS.items()
                ],
                rx.icon("sparkles", size=styles.SMALL_ICON_SIZE),
            ),
            rx.text(row["label"], size=styles.SMALL_SIZE, weight="medium"),
            align="center",
            spacing="1",
            **styles.CAPTION_STYLE,
        ),
        rx.text(row["amount"], size="4", weight="bold", **styles.NUMBER_STYLE),
        spacing="1",
        class_name="feature-tile",
        custom_attrs={"data-feature": row["key"]},
        **styles.FEATURE_TILE_STYLE,
    )
