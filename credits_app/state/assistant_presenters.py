"""The 2Bot assistant widget's view object and its parts, as plain values (its state:
assistant_state.py).

`AssistantState` holds one `AssistantView` (usage figures, the notice, the model, the price
quotes) instead of copying a dozen fields one by one; the widget reads it through one binding.
Pure functions, unit-tested without Reflex or a browser.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TypedDict

from credits_app.ai.audio_duration import AudioTooLarge, InvalidAudio, UnsupportedAudioType
from credits_app.ai.conversations import ConversationSummary, StoredMessage
from credits_app.ai.media import speech_quote
from credits_app.ai.providers import ProviderError
from credits_app.ai.request_slots import TooManyAiRequests
from credits_app.credits.ai_usage_report import TokenUsage
from credits_app.credits.amounts import format_balance
from credits_app.credits.errors import CreditsError, InsufficientCredits, MonthlyLimitReached
from credits_app.state.formatting import model_label, optional_amount
from credits_app.state.overview_presenters import NEAR_LIMIT_PERCENT

WHAT_IS_HELD = {
    "chat": "the most this reply can cost",
    "image": "the price of this image",
    "tts": "the price of reading this aloud",
    "stt": "the price of this recording",
}


class ChatLine(TypedDict):
    """One message in the assistant; replies carry their model and what they cost."""

    role: str  # "user" | "assistant"
    kind: str  # "text" | "image" | "voice" (a user message transcribed from audio)
    content: str
    model_label: str
    credits: str  # credits charged for this line ("" when nothing was charged for it)
    failed: bool  # a user message that was refused or failed (not part of the conversation)
    streaming: bool  # a reply still arriving
    image_src: str  # data: URL of a generated image
    audio_src: str  # data: URL of the reply read aloud
    speech_cost: str  # what reading the reply aloud costs
    speech_credits: str  # what reading it aloud was charged


@dataclass(frozen=True)
class AssistantUsageView:
    """This period's figures (DESIGN §4 `percentUsed`)."""

    tokens_used: str = "0"
    credits_used: str = "0"
    percent_used: int = 0  # whole percent for the bar
    percent_text: str = "0%"  # "84%", or "<1%" for a share too small to round up to 1
    near_limit: bool = False
    limit: str = ""


@dataclass(frozen=True)
class ChatNotice:
    """Why a request got no answer: a machine kind the widget styles by, words for people, and
    where the fix is (the Settings tab, for someone who may raise the monthly limit)."""

    kind: str = ""  # insufficient_credits | monthly_limit_reached | ai_provider_error | error
    text: str = ""
    settings_href: str = ""


@dataclass(frozen=True)
class AssistantView:
    """Everything the panel shows that is not the conversation itself."""

    usage: AssistantUsageView = field(default_factory=AssistantUsageView)
    notice: ChatNotice = field(default_factory=ChatNotice)
    model_label: str = ""
    image_cost: str = ""  # one standard square image
    usage_for: str = ""  # the wallet context key the usage figures belong to


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


def chat_notice(
    error: CreditsError, *, feature: str = "chat", settings_href: str = ""
) -> ChatNotice:
    """What the widget says when a request got no answer (a 402, the provider, anything else).

    `settings_href` is given when the user may raise the wallet's monthly limit.
    """
    held = WHAT_IS_HELD.get(feature, WHAT_IS_HELD["chat"])
    if isinstance(error, InsufficientCredits):
        return ChatNotice(
            error.code,
            f"2Bot sets aside up to {format_balance(error.required)} credits ({held}) before "
            "it asks the model and charges only what is used. This wallet has "
            f"{format_balance(error.available)}.",
        )
    if isinstance(error, MonthlyLimitReached):
        required = Decimal(error.details["required"])
        limit = Decimal(error.details["monthlyLimit"])
        used = Decimal(error.details["usedThisMonth"])
        left = max(limit - used, Decimal(0))
        fix = (
            "Raise the limit in Settings, or wait for next month."
            if settings_href
            else "An owner or admin can raise the limit; otherwise wait for next month."
        )
        return ChatNotice(
            error.code,
            f"2Bot reserves {format_balance(required)} credits ({held}) before it asks the "
            f"model, and that reservation does not fit this month's "
            f"{format_balance(limit)}-credit limit: {format_balance(left)} credits are left "
            f"({format_balance(used)} spent or reserved). {fix}",
            settings_href,
        )
    if isinstance(error, ProviderError):
        return ChatNotice(
            error.code, "2Bot could not answer just now. Nothing was charged; try again shortly."
        )
    if isinstance(error, TooManyAiRequests):
        return ChatNotice(
            "error", "2Bot is still working on your other requests. Try again in a moment."
        )
    if isinstance(error, InvalidAudio | UnsupportedAudioType | AudioTooLarge):
        return ChatNotice("error", f"{error.message} Nothing was charged.")
    return ChatNotice("error", error.message)


def chat_line(
    role: str,
    content: str,
    *,
    kind: str = "text",
    model: str = "",
    credits: str = "",
    streaming: bool = False,
    image_src: str = "",
    speech_cost: str = "",
) -> ChatLine:
    return ChatLine(
        role=role,
        kind=kind,
        content=content,
        model_label=model_label(model) if model else "",
        credits=credits,
        failed=False,
        streaming=streaming,
        image_src=image_src,
        audio_src="",
        speech_cost=speech_cost,
        speech_credits="",
    )


class ConversationRow(TypedDict):
    """One stored conversation in the widget's history list."""

    id: int
    title: str
    when: str  # "2 Dec 14:05" (UTC)
    messages: str  # "4 messages"


def conversation_rows(summaries: list[ConversationSummary]) -> list[ConversationRow]:
    return [
        ConversationRow(
            id=summary.id,
            title=summary.title,
            when=summary.updated_at.strftime("%-d %b %H:%M"),
            messages=f"{summary.messages} message{'' if summary.messages == 1 else 's'}",
        )
        for summary in summaries
    ]


def stored_line(message: StoredMessage) -> ChatLine:
    """A stored message shown again. Images and audio are not kept (only their prompt), so a
    reopened image reply says so instead of showing an empty picture."""
    content = message.content
    kind = message.kind
    if message.role == "assistant" and kind == "image":
        content, kind = f"Image for “{content}” (images are not kept in the history)", "text"
    speech_cost = ""
    if message.role == "assistant" and kind == "text":
        speech_cost = format_balance(speech_quote(content))
    line = chat_line(
        message.role, content, kind=kind, credits=message.credits, speech_cost=speech_cost
    )
    return {**line, "model_label": message.model}
