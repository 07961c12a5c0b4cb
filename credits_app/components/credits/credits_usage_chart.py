"""Daily spending as stacked bars, one colour per category, with exact amounts on hover.

Uses `rx.plotly.basic`, which loads `plotly.js-basic-dist-min` (bar, scatter, pie) instead of
the full plotly.js: the page stays several megabytes lighter. The traces arrive ready-made
(see `state/presenters.usage_figure`); this component only adds the shared layout.
"""

from collections.abc import Callable
from typing import Any

import reflex as rx

from credits_app import styles

StrProp = rx.Var[str] | str
BoolProp = rx.Var[bool] | bool

PERIODS = [("7", "7 days"), ("30", "30 days"), ("90", "90 days")]


def credits_usage_chart(
    figure: rx.Var[Any],
    *,
    total_used: StrProp,
    period: StrProp,
    on_period_change: Callable[[rx.Var[str]], Any],
    has_usage: BoolProp,
    loading: BoolProp = False,
) -> rx.Component:
    """Render the chart card: title, total, period switch, and the bars (or an empty state)."""
    return rx.box(
        rx.vstack(
            rx.hstack(
                rx.vstack(
                    rx.heading("Daily spending", size=styles.SECTION_HEADING_SIZE),
                    rx.skeleton(
                        rx.text(
                            rx.fragment(total_used, " credits spent in the last ", period, " days"),
                            size=styles.BODY_SIZE,
                            id="usage-total",
                            **styles.CAPTION_STYLE,
                        ),
                        loading=loading,
                    ),
                    spacing="1",
                    align="start",
                ),
                rx.segmented_control.root(
                    *[rx.segmented_control.item(label, value=value) for value, label in PERIODS],
                    value=period,
                    on_change=on_period_change,
                    size="1",
                    id="usage-period",
                ),
                justify="between",
                align="start",
                width="100%",
                wrap="wrap",
                spacing=styles.GAP_MEDIUM,
            ),
            rx.skeleton(
                rx.box(
                    rx.cond(has_usage, _chart(figure), _no_usage()),
                    width="100%",
                    min_height=styles.CHART_HEIGHT,
                ),
                loading=loading,
                width="100%",
            ),
            spacing=styles.GAP_MEDIUM,
            width="100%",
        ),
        id="usage-chart-card",
        **styles.SURFACE_STYLE,
    )


def _chart(figure: rx.Var[Any]) -> rx.Component:
    """The plot over a "loading" placeholder: Plotly arrives after first paint, and its opaque
    paper covers the placeholder once drawn, so the card never sits empty or jumps."""
    return rx.box(
        rx.center(
            rx.hstack(
                rx.spinner(size="2"),
                rx.text("Loading chart…", size=styles.BODY_SIZE, **styles.CAPTION_STYLE),
                align="center",
                spacing="2",
            ),
            position="absolute",
            inset="0",
        ),
        rx.box(
            # template=None: the figure carries an empty template, so the page need not embed
            # Plotly's default light and dark templates; the look is styles.CHART_LAYOUT.
            rx.plotly.basic(
                data=figure,
                layout=styles.CHART_LAYOUT,
                config=styles.CHART_CONFIG,
                template=None,
                use_resize_handler=True,
                id="usage-chart",
                width="100%",
                height=styles.CHART_HEIGHT,
            ),
            position="relative",
            z_index="1",
        ),
        position="relative",
        width="100%",
        height=styles.CHART_HEIGHT,
    )


def _no_usage() -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.icon("chart-column", size=28, color=styles.MUTED_TEXT_COLOR),
            rx.text("No spending in this period", size="3", weight="bold"),
            rx.text(
                "Charges for AI, marketplace apps, premium features and subscriptions "
                "will show up here day by day.",
                size=styles.BODY_SIZE,
                max_width="360px",
                text_align="center",
                **styles.CAPTION_STYLE,
            ),
            align="center",
            spacing="2",
        ),
        height=styles.CHART_HEIGHT,
        width="100%",
        id="usage-chart-empty",
    )
