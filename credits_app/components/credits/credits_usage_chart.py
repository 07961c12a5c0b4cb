"""Daily spending as stacked bars, one colour per category, with exact amounts on hover.

Drawn by `plotly_bars`: Plotly with a partial bundle of only bars, legend and hover (not
`rx.plotly.basic`'s scatter/bar/pie bundle, nor the full plotly.js), fetched once the page is
usable and the chart's box is on screen; a skeleton of the same size stands in until then.
The traces arrive ready-made (state/usage_presenters.usage_figure); this component adds the
look, light or dark with the app's colour mode. The y axis reads plain decimals ("0.8", "20",
"1,000"), never SI prefixes.
"""

from collections.abc import Callable
from typing import Any

import reflex as rx

from credits_app import styles
from credits_app.components.card import card, card_header
from credits_app.components.common import placeholder
from credits_app.components.credits.plotly_bars import plotly_bars

StrProp = rx.Var[str] | str
BoolProp = rx.Var[bool] | bool

PERIODS = [("7", "7 days"), ("30", "30 days"), ("90", "90 days")]


def credits_usage_chart(
    figure: rx.Var[Any],
    view: rx.Var[Any],
    *,
    period: StrProp,
    on_period_change: Callable[[rx.Var[str]], Any],
    loading: BoolProp,
) -> rx.Component:
    """The chart card: title, total, period switch, and the bars (or an empty state)."""
    total = rx.cond(
        loading,
        placeholder("18px", "240px"),
        rx.text(
            rx.fragment(view.total_used, " credits spent in the last ", period, " days"),
            size=styles.BODY_SIZE,
            id="usage-total",
            **styles.CAPTION_STYLE,
        ),
    )
    return card(
        card_header(
            "Daily spending",
            total,
            rx.segmented_control.root(
                *[rx.segmented_control.item(label, value=value) for value, label in PERIODS],
                value=period,
                on_change=on_period_change,
                size="1",
                id="usage-period",
                aria_label="Period",
            ),
        ),
        rx.cond(
            loading,
            placeholder(styles.CHART_HEIGHT),
            rx.cond(view.has_usage, _chart(figure), _no_usage()),
        ),
        id="usage-chart-card",
    )


def _chart(figure: rx.Var[Any]) -> rx.Component:
    # template=None: the figure carries an empty template, so the page need not embed
    # Plotly's default light and dark templates; the look is CHART_LAYOUT's.
    return rx.box(
        plotly_bars(
            data=figure,
            layout=rx.color_mode_cond(light=LIGHT_LAYOUT, dark=DARK_LAYOUT),
            config=CHART_CONFIG,
            template=None,
            use_resize_handler=True,
            id="usage-chart",
            width="100%",
            height=styles.CHART_HEIGHT,
            # On the chart, and on its skeleton (with "(loading)") until Plotly has arrived.
            aria_label="Daily spending by category; the same figures are listed below.",
        ),
        width="100%",
        min_height=styles.CHART_HEIGHT,
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


def _layout(text: str, grid: str, paper: str) -> dict[str, Any]:
    return {
        "barmode": "stack",
        "bargap": 0.35,
        "autosize": True,
        "height": 320,
        "margin": {"l": 56, "r": 12, "t": 24, "b": 40},
        "paper_bgcolor": paper,
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"family": styles.FONT_FAMILY, "size": styles.CHART_FONT_SIZE, "color": text},
        "colorway": styles.CHART_CATEGORY_COLORS,
        "hovermode": "x unified",
        "hoverlabel": {"font": {"family": styles.FONT_FAMILY, "size": styles.CHART_FONT_SIZE}},
        "legend": {"orientation": "h", "x": 0, "y": -0.18, "yanchor": "top"},
        "xaxis": {
            "type": "date",
            "tickformat": "%b %-d",
            "showgrid": False,
            "fixedrange": True,
            "automargin": True,
        },
        "yaxis": {
            "gridcolor": grid,
            "zeroline": False,
            "fixedrange": True,
            "automargin": True,
            "rangemode": "tozero",
            "tickformat": ",.4~f",  # plain decimals: 0.8, 20, 1,000 (never 800m / 20m)
            "title": {"text": styles.CREDITS_UNIT, "standoff": 8},
        },
    }


LIGHT_LAYOUT = _layout(styles.CHART_TEXT_COLOR, styles.CHART_GRID_COLOR, styles.CHART_PAPER_COLOR)
DARK_LAYOUT = _layout(
    styles.CHART_DARK_TEXT_COLOR, styles.CHART_DARK_GRID_COLOR, styles.CHART_DARK_PAPER_COLOR
)
CHART_CONFIG: dict[str, Any] = {"displayModeBar": False, "responsive": True}
