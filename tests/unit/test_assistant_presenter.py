"""What the 2Bot assistant shows, computed without a browser: model names, usage, notices."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from credits_app.ai.audio_duration import InvalidAudio
from credits_app.ai.providers import ProviderError
from credits_app.ai.request_slots import TooManyAiRequests
from credits_app.credits.ai_usage_report import TokenUsage
from credits_app.credits.errors import InsufficientCredits, InvalidArgument, MonthlyLimitReached
from credits_app.state.assistant_presenters import (
    assistant_usage_view,
    chat_line,
    chat_notice,
    model_label,
)


def token_usage(percent: str, *, limit: str | None = None) -> TokenUsage:
    start = datetime(2025, 5, 1, tzinfo=UTC)
    return TokenUsage(
        input_tokens=1200,
        output_tokens=34,
        credits_used=Decimal("42.5"),
        period_start=start,
        period_end=datetime(2025, 6, 1, tzinfo=UTC),
        limit=None if limit is None else Decimal(limit),
        percent_used=Decimal(percent),
        balance=Decimal("7.5"),
    )


def test_the_assistant_names_the_demo_models_plainly_and_real_models_as_they_are() -> None:
    assert model_label("demo-model") == "Demo model"
    assert model_label("demo-image") == "Demo image model"
    assert model_label("gpt-4o-mini") == "gpt-4o-mini"
    assert chat_line("assistant", "x", model="demo-tts")["model_label"] == "Demo speech model"


@pytest.mark.parametrize(
    ("percent", "shown", "bar", "warn"),
    [
        ("0", "0%", 0, False),
        ("0.04", "<1%", 0, False),
        ("80.00", "80%", 80, False),  # the warning starts *above* 80 %
        ("80.01", "80%", 80, True),
        ("85.5", "86%", 86, True),
        ("100", "100%", 100, True),
    ],
)
def test_assistant_usage_shows_tokens_credits_and_warns_above_80_percent(
    percent: str, shown: str, bar: int, warn: bool
) -> None:
    view = assistant_usage_view(token_usage(percent, limit="50"))
    assert (view.tokens_used, view.credits_used, view.limit) == ("1,234", "42.5", "50")
    assert (view.percent_text, view.percent_used, view.near_limit) == (shown, bar, warn)
    assert assistant_usage_view(token_usage(percent)).limit == ""


def test_notices_say_why_a_request_got_no_answer() -> None:
    short = chat_notice(InsufficientCredits(Decimal("0.1544"), Decimal("0")))
    assert short.kind == "insufficient_credits"
    assert "up to 0.1544 credits (the most this reply can cost)" in short.text
    assert "This wallet has 0." in short.text
    image = chat_notice(InsufficientCredits(Decimal("4"), Decimal("1")), feature="image")
    assert "(the price of this image)" in image.text
    provider = chat_notice(ProviderError("The AI provider answered 500; nothing was charged."))
    assert provider.kind == "ai_provider_error"
    assert "Nothing was charged" in provider.text and "500" not in provider.text
    busy = chat_notice(TooManyAiRequests(4))
    assert busy.kind == "error" and "other requests" in busy.text
    audio = chat_notice(InvalidAudio("The WAV file is truncated or its header is wrong."))
    assert audio.text.endswith("Nothing was charged.")
    other = chat_notice(InvalidArgument("Send 1 to 50 messages."))
    assert (other.kind, other.text) == ("error", "Send 1 to 50 messages.")


def test_a_hold_past_the_monthly_limit_says_the_reservation_does_not_fit() -> None:
    """Regression: nothing spent yet, a 0.05 limit, a 0.0617 worst case read "used 0 of its
    0.05-credit monthly limit", as if the limit were used up."""
    refusal = MonthlyLimitReached(Decimal("0.0617"), Decimal("0.05"), Decimal("0"))
    manager = chat_notice(refusal, settings_href="/credits?tab=settings")
    assert manager.kind == "monthly_limit_reached"
    assert "reserves 0.0617 credits (the most this reply can cost)" in manager.text
    assert "does not fit this month's 0.05-credit limit: 0.05 credits are left" in manager.text
    assert "Raise the limit in Settings" in manager.text
    assert manager.settings_href == "/credits?tab=settings"
    member = chat_notice(refusal)
    assert member.settings_href == "" and "An owner or admin can raise the limit" in member.text
    spent = chat_notice(MonthlyLimitReached(Decimal("0.2"), Decimal("50"), Decimal("49.9")))
    assert "0.1 credits are left (49.9 spent or reserved)" in spent.text
