"""The Usage tab as the chart and the breakdown cards show it.

Chart traces carry exact decimal strings (Plotly parses numeric strings) and a hover with the
same formatted text as the rest of the page. A day without spending in a category is `None`
rather than 0, so the unified hover lists only what was actually spent that day.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import plotly.graph_objects as go

from credits_app import styles
from credits_app.credits.ai_usage_report import UNKNOWN_MODEL, AiUsageBreakdown
from credits_app.credits.amounts import format_balance
from credits_app.credits.categories import CreditUsageCategory
from credits_app.credits.credit_service import UsageReport
from credits_app.state.formatting import CATEGORY_LABELS, model_label, percent

FEATURE_LABELS: dict[str, str] = {
    "chat": "Chat",
    "image": "Image",
    "tts": "Text to speech",
    "stt": "Speech to text",
}
TODAY_LABEL = "Today"


@dataclass(frozen=True)
class ShareRow:
    """A slice of spending: label, formatted amount, share of the total and a colour slot."""

    key: str
    label: str
    amount: str
    percent: int
    color_index: int


@dataclass(frozen=True)
class UsageView:
    """Everything the Usage tab shows besides the figure itself."""

    total_used: str = ""
    categories: list[ShareRow] = field(default_factory=list)
    ai_total: str = ""
    models: list[ShareRow] = field(default_factory=list)
    features: list[ShareRow] = field(default_factory=list)
    has_usage: bool = False
    has_ai_usage: bool = False


def usage_view(report: UsageReport, ai: AiUsageBreakdown) -> UsageView:
    """The breakdowns of one period, largest first."""
    categories = category_rows(report)
    models = model_rows(ai)
    return UsageView(
        total_used=format_balance(report.total_used),
        categories=categories,
        ai_total=format_balance(sum(ai.by_model.values(), Decimal(0))),
        models=models,
        features=feature_rows(ai),
        has_usage=bool(categories),
        has_ai_usage=bool(models),
    )


def usage_traces(report: UsageReport) -> list[dict[str, Any]]:
    """Plotly bar traces, one per category in a fixed order so colours never shift.

    Each category keeps its colour from `styles.CHART_CATEGORY_COLORS`, the same slot the
    breakdown list uses; empty categories are hidden so the legend lists only what was spent.
    """
    dates = [day.date.isoformat() for day in report.daily]
    traces: list[dict[str, Any]] = []
    for index, category in enumerate(CreditUsageCategory):
        amounts = [day.by_category.get(category.value, Decimal(0)) for day in report.daily]
        label = CATEGORY_LABELS[category]
        traces.append(
            {
                "type": "bar",
                "name": label,
                "marker": {"color": styles.CHART_CATEGORY_COLORS[index]},
                "x": dates,
                "y": [_plain(amount) if amount else None for amount in amounts],
                "customdata": [format_balance(amount) for amount in amounts],
                "hovertemplate": f"{label}: %{{customdata}} credits<extra></extra>",
                "visible": bool(report.by_category.get(category.value)),
            }
        )
    return traces


def usage_figure(report: UsageReport) -> go.Figure:
    """The traces, with today's column named, over an empty template (the page adds the look)."""
    layout: dict[str, Any] = {"template": "none"}
    if report.daily:
        today = report.daily[-1].date
        layout["annotations"] = [_today_annotation(today)]
    return go.Figure(data=usage_traces(report), layout=layout)


def category_rows(report: UsageReport) -> list[ShareRow]:
    """Spending per category, largest first, each with its chart colour slot."""
    slots = {category.value: index for index, category in enumerate(CreditUsageCategory)}
    rows = [
        ShareRow(
            key=key,
            label=CATEGORY_LABELS.get(key, key),
            amount=format_balance(amount),
            percent=percent(amount, report.total_used),
            color_index=slots.get(key, len(slots) - 1),
        )
        for key, amount in report.by_category.items()
        if amount > 0
    ]
    return sorted(rows, key=lambda row: -report.by_category[row.key])


def model_rows(ai: AiUsageBreakdown) -> list[ShareRow]:
    """AI spending per model, largest first."""
    total = sum(ai.by_model.values(), Decimal(0))
    ordered = sorted(ai.by_model.items(), key=lambda pair: -pair[1])
    return [
        ShareRow(
            key=model,
            label="Unattributed" if model == UNKNOWN_MODEL else model_label(model),
            amount=format_balance(amount),
            percent=percent(amount, total),
            color_index=0,
        )
        for model, amount in ordered
        if amount > 0
    ]


def feature_rows(ai: AiUsageBreakdown) -> list[ShareRow]:
    """AI spending per feature (chat, image, TTS, STT), always all four, in that order."""
    total = sum(ai.by_feature.values(), Decimal(0))
    return [
        ShareRow(
            key=feature,
            label=label,
            amount=format_balance(ai.by_feature.get(feature, Decimal(0))),
            percent=percent(ai.by_feature.get(feature, Decimal(0)), total),
            color_index=0,
        )
        for feature, label in FEATURE_LABELS.items()
    ]


def _today_annotation(today: date) -> dict[str, Any]:
    """'Today' above the last column, so the newest bar is never mistaken for a full day."""
    return {
        "x": today.isoformat(),
        "y": 1,
        "xref": "x",
        "yref": "paper",
        "yanchor": "bottom",
        "text": TODAY_LABEL,
        "showarrow": False,
        "font": {"size": styles.CHART_FONT_SIZE},
    }


def _plain(amount: Decimal) -> str:
    """A decimal as plain digits ('12.5'), the form Plotly reads as a number."""
    return format(amount.normalize(), "f")
