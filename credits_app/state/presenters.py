"""Turn service results into display-ready plain values for the states.

Everything the browser receives is a string, an int or a bool: amounts are formatted here with
the shared `format_balance` rule, so no Decimal (and no float arithmetic on money) ever reaches
the client. Pure functions, so they are unit-tested without Reflex or a browser.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypedDict

import plotly.graph_objects as go

from credits_app import styles
from credits_app.ai.providers import DEMO_MODEL, ProviderError
from credits_app.billing.packages import PackageInfo
from credits_app.credits.ai_usage_report import UNKNOWN_MODEL, AiUsageBreakdown, TokenUsage
from credits_app.credits.amounts import format_balance
from credits_app.credits.categories import CreditUsageCategory, TransactionType
from credits_app.credits.credit_service import HistoryItem, UsageReport
from credits_app.credits.errors import CreditsError, InsufficientCredits, MonthlyLimitReached
from credits_app.credits.wallet_settings import BalanceOverview

TYPE_LABELS: dict[str, str] = {
    TransactionType.PURCHASE: "Purchase",
    TransactionType.USAGE: "Usage",
    TransactionType.GRANT: "Grant",
    TransactionType.REFUND: "Refund",
    TransactionType.TRANSFER_IN: "Transfer in",
    TransactionType.TRANSFER_OUT: "Transfer out",
    TransactionType.EXPIRY: "Expiry",
    TransactionType.ADJUSTMENT: "Adjustment",
}
CATEGORY_LABELS: dict[str, str] = {
    CreditUsageCategory.AI_USAGE: "AI usage",
    CreditUsageCategory.MARKETPLACE: "Marketplace",
    CreditUsageCategory.PREMIUM_FEATURE: "Premium features",
    CreditUsageCategory.SUBSCRIPTION: "Subscriptions",
    CreditUsageCategory.TRANSFER: "Transfers",
    CreditUsageCategory.OTHER: "Other",
}
FEATURE_LABELS: dict[str, str] = {
    "chat": "Chat",
    "image": "Image",
    "tts": "Text to speech",
    "stt": "Speech to text",
}
CURRENCY_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£"}
PER_CREDITS = 1000  # prices per credit are tiny; "per 1,000 credits" reads better
MINUS = "\u2212"  # a real minus sign lines up with "+" in tabular figures


class Option(TypedDict):
    """A choice in a filter select: the value sent back and the label shown."""

    value: str
    label: str


class HistoryRow(TypedDict):
    """One ledger entry as the history table shows it."""

    id: str
    date: str
    time: str
    description: str
    type: str
    type_label: str
    category_label: str
    amount: str
    is_credit: bool
    balance_after: str


class ShareRow(TypedDict):
    """A slice of spending: label, formatted amount, share of the total and a colour slot."""

    key: str
    label: str
    amount: str
    percent: int
    color_index: int


class PackageCard(TypedDict):
    """A package in the purchase grid and the confirmation dialog."""

    id: str
    name: str
    total_credits: str
    base_credits: str
    bonus_credits: str
    has_bonus: bool
    price: str
    price_per_thousand: str
    savings: str
    popular: bool


@dataclass(frozen=True)
class OverviewView:
    """The balance widget's figures, all as display text or small ints."""

    balance: str
    status: str
    low_threshold: str
    critical_threshold: str
    used_this_month: str
    monthly_limit: str
    percent_used: int
    limit_reached: bool
    near_limit: bool


NEAR_LIMIT_PERCENT = 80
DEMO_MODEL_LABEL = "Demo model"


class ChatLine(TypedDict):
    """One message in the assistant widget; replies carry their model and what they cost."""

    role: str  # "user" | "assistant"
    content: str
    model_label: str
    credits: str  # credits charged for this reply ("" for the user's messages)
    failed: bool  # a user message that was refused or failed (not part of the conversation)


@dataclass(frozen=True)
class AssistantUsageView:
    """The assistant header's figures for this period (DESIGN §4 `percentUsed`)."""

    tokens_used: str
    credits_used: str
    percent_used: int  # whole percent for the bar
    percent_text: str  # "84%", or "<1%" for a share too small to round up to 1
    near_limit: bool
    limit: str


@dataclass(frozen=True)
class ChatNotice:
    """Why a message got no reply: a machine kind the widget styles by, and words for people."""

    kind: str  # insufficient_credits | monthly_limit_reached | ai_provider_error | error
    text: str


def type_options() -> list[Option]:
    """The transaction-type filter: "all" first, then every ledger entry type."""
    return [Option(value="all", label="All types")] + [
        Option(value=str(value), label=label) for value, label in TYPE_LABELS.items()
    ]


def category_options() -> list[Option]:
    """The category filter: "all" first, then every usage category."""
    return [Option(value="all", label="All categories")] + [
        Option(value=str(value), label=label) for value, label in CATEGORY_LABELS.items()
    ]


def signed_amount(amount: Decimal) -> str:
    """'+12,000' for credits in, MINUS + '150' for credits out (the ledger amount is signed)."""
    sign = "+" if amount > 0 else MINUS
    return sign + format_balance(abs(amount))


def history_row(item: HistoryItem) -> HistoryRow:
    """A ledger entry with its labels, signed amount and UTC date, ready for the table."""
    type_label = TYPE_LABELS.get(item.type, item.type.replace("_", " ").title())
    return HistoryRow(
        id=str(item.id),
        date=_date_text(item.created_at),
        time=item.created_at.strftime("%H:%M UTC"),
        description=item.description or type_label,
        type=item.type,
        type_label=type_label,
        category_label=CATEGORY_LABELS.get(item.category or "", ""),
        amount=signed_amount(item.amount),
        is_credit=item.amount > 0,
        balance_after=format_balance(item.balance_after),
    )


def overview_view(overview: BalanceOverview) -> OverviewView:
    """Balance, status and this month's spending; the share follows the AI widget's rule:
    used ÷ monthly limit when one is set, else used ÷ (used + balance)."""
    settings = overview.settings
    limit = settings.monthly_limit
    used = overview.used_this_month
    whole = limit if limit is not None else used + overview.balance
    return OverviewView(
        balance=format_balance(overview.balance),
        status=overview.status.value,
        low_threshold=_optional(settings.low_threshold),
        critical_threshold=_optional(settings.critical_threshold),
        used_this_month=format_balance(used),
        monthly_limit=_optional(limit),
        percent_used=percent(used, whole),
        limit_reached=limit is not None and used >= limit,
        near_limit=limit is not None and percent(used, limit) >= NEAR_LIMIT_PERCENT,
    )


def model_label(model: str) -> str:
    """How a reply names its model: the local demo model gets a plain label."""
    return DEMO_MODEL_LABEL if model == DEMO_MODEL else model


def assistant_usage_view(usage: TokenUsage) -> AssistantUsageView:
    """Tokens and AI credits of the period; the warning starts above 80 % of `percent_used`
    (credits used ÷ monthly limit when set, else ÷ (used + balance), as DESIGN §4 defines it)."""
    share = max(0, min(100, int(usage.percent_used.to_integral_value(rounding=ROUND_HALF_UP))))
    tiny = share == 0 and usage.percent_used > 0
    return AssistantUsageView(
        tokens_used=f"{usage.total_tokens:,}",
        credits_used=format_balance(usage.credits_used),
        percent_used=share,
        percent_text="<1%" if tiny else f"{share}%",
        near_limit=usage.percent_used > NEAR_LIMIT_PERCENT,
        limit=_optional(usage.limit),
    )


def chat_notice(error: CreditsError) -> ChatNotice:
    """What the widget says when a message got no reply (a 402, the provider, anything else)."""
    if isinstance(error, InsufficientCredits):
        return ChatNotice(
            error.code,
            f"2Bot sets aside up to {format_balance(error.required)} credits while it answers "
            "and charges only what the reply uses. This wallet has "
            f"{format_balance(error.available)}.",
        )
    if isinstance(error, MonthlyLimitReached):
        used = format_balance(error.details["usedThisMonth"])
        limit = format_balance(error.details["monthlyLimit"])
        return ChatNotice(
            error.code,
            f"This wallet has used {used} of its {limit}-credit monthly limit. New replies "
            "are refused until next month or until the limit is raised.",
        )
    if isinstance(error, ProviderError):
        return ChatNotice(
            error.code, "2Bot could not answer just now. Nothing was charged; try again shortly."
        )
    return ChatNotice("error", error.message)


def status_tooltip(status: str, low: str, critical: str) -> str:
    """What the header colour means and where the thresholds are, in one sentence or two."""
    thresholds = _thresholds_text(low, critical)
    if status == "critical":
        return f"Critical balance. {thresholds} Buy credits to keep things running."
    if status == "low":
        return f"Low balance. {thresholds}"
    return f"Balance is healthy. {thresholds}"


def _thresholds_text(low: str, critical: str) -> str:
    parts = []
    if low:
        parts.append(f"low at {low}")
    if critical:
        parts.append(f"critical at {critical}")
    if not parts:
        return "No warning thresholds set; an empty wallet counts as critical."
    return "Warnings: " + " and ".join(parts) + " credits."


def usage_traces(report: UsageReport) -> list[dict[str, Any]]:
    """Plotly bar traces, one per category in a fixed order so colours never shift.

    Bar heights are exact decimal strings (Plotly parses numeric strings), and the hover shows
    the same formatted text as the rest of the page. Each category keeps its colour from
    `styles.CHART_CATEGORY_COLORS`, the same slot the breakdown list uses; empty categories
    are hidden so the legend lists only what was spent.
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
                "y": [_plain(amount) for amount in amounts],
                "customdata": [format_balance(amount) for amount in amounts],
                "hovertemplate": f"{label}: %{{customdata}} credits<extra></extra>",
                "visible": bool(report.by_category.get(category.value)),
            }
        )
    return traces


def usage_figure(report: UsageReport) -> go.Figure:
    """The traces as a Plotly figure with an empty template (the page supplies the layout)."""
    return go.Figure(data=usage_traces(report), layout={"template": "none"})


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
    return sorted(rows, key=lambda row: -report.by_category[row["key"]])


def model_rows(ai: AiUsageBreakdown) -> list[ShareRow]:
    """AI spending per model, largest first."""
    total = sum(ai.by_model.values(), Decimal(0))
    ordered = sorted(ai.by_model.items(), key=lambda pair: -pair[1])
    return [
        ShareRow(
            key=model,
            label="Unattributed" if model == UNKNOWN_MODEL else model,
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


def package_cards(packages: list[PackageInfo]) -> list[PackageCard]:
    """The catalog with prices per 1,000 credits and the saving against the dearest package."""
    rates = [_price_per_thousand(package) for package in packages]
    dearest = max(rates, default=Decimal(0))
    return [
        PackageCard(
            id=package.id,
            name=package.name,
            total_credits=format_balance(package.total_credits),
            base_credits=format_balance(package.credits),
            bonus_credits=format_balance(package.bonus_credits),
            has_bonus=package.bonus_credits > 0,
            price=money(package.price_minor, package.currency),
            price_per_thousand=money_decimal(rate, package.currency),
            savings=_savings(rate, dearest),
            popular=package.popular,
        )
        for package, rate in zip(packages, rates, strict=True)
    ]


def money(minor: int, currency: str) -> str:
    """'$90.00' for 9000 cents; unknown currencies as '90.00 CHF'."""
    return money_decimal(Decimal(minor).scaleb(-2), currency)


def money_decimal(amount: Decimal, currency: str) -> str:
    """An exact money amount with two decimals and the currency's symbol."""
    text = f"{amount.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,.2f}"
    symbol = CURRENCY_SYMBOLS.get(currency.lower())
    return f"{symbol}{text}" if symbol else f"{text} {currency.upper()}"


def percent(part: Decimal, whole: Decimal) -> int:
    """A whole percentage between 0 and 100 (0 when there is nothing to divide by)."""
    if whole <= 0:
        return 0
    share = (part * 100 / whole).to_integral_value(rounding=ROUND_HALF_UP)
    return max(0, min(100, int(share)))


def _price_per_thousand(package: PackageInfo) -> Decimal:
    if package.total_credits <= 0:
        return Decimal(0)
    return Decimal(package.price_minor).scaleb(-2) * PER_CREDITS / package.total_credits


def _savings(rate: Decimal, dearest: Decimal) -> str:
    saved = percent(dearest - rate, dearest)
    return f"Save {saved}%" if saved >= 1 else ""


def _optional(amount: Decimal | None) -> str:
    return "" if amount is None else format_balance(amount)


def _plain(amount: Decimal) -> str:
    """A decimal as plain digits ('12.5'), the form Plotly reads as a number."""
    return format(amount.normalize(), "f") if amount else "0"


def _date_text(moment: datetime) -> str:
    return f"{moment.strftime('%b')} {moment.day}, {moment.year}"
