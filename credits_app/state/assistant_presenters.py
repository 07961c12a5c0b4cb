"""The 2Bot assistant widget's figures and notices (its state: assistant_state.py)."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP
from typing import TypedDict

from credits_app.ai.providers import ProviderError
from credits_app.credits.ai_usage_report import TokenUsage
from credits_app.credits.amounts import format_balance
from credits_app.credits.errors import CreditsError, InsufficientCredits, MonthlyLimitReached
from credits_app.state.formatting import model_label, optional_amount
from credits_app.state.overview_presenters import NEAR_LIMIT_PERCENT

__all__ = [
    "AssistantUsageView",
    "ChatLine",
    "ChatNotice",
    "assistant_usage_view",
    "chat_notice",
    "model_label",
]


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
        limit=optional_amount(usage.limit),
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
