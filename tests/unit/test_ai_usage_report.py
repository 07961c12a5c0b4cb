"""AI spending read from the ledger: per model and feature, and this month's tokens (the widget)."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine

from credits_app.clock import frozen_at
from credits_app.credits import credit_service as credits
from credits_app.credits.ai_usage_metadata import MAX_TOKENS, validate_ai_metadata
from credits_app.credits.ai_usage_report import get_ai_usage, get_token_usage
from credits_app.credits.errors import InvalidArgument
from credits_app.credits.wallet_service import WalletOwner
from credits_app.credits.wallet_settings import update_wallet_settings
from tests.conftest import make_org, make_user
from tests.support.wallets import ledger_totals

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)
FEATURES = {"chat", "image", "tts", "stt"}


@pytest.fixture(autouse=True)
def _now(any_engine: Engine) -> Iterator[None]:
    with frozen_at(NOW):
        yield


def funded(balance: str = "1000") -> WalletOwner:
    user = make_user("ai")
    credits.grant_personal_credits(user.id, balance, description="funding")
    return WalletOwner.user(user.id)


def ai_spend(owner: WalletOwner, amount: str, category: str = "ai_usage", **metadata: Any) -> None:
    deduct = credits.deduct_personal_credits if owner.kind == "user" else credits.deduct_org_credits
    deduct(owner.id, amount, category=category, metadata=metadata)


def test_sums_by_model_and_by_feature_with_every_feature_present() -> None:
    owner = funded()
    ai_spend(owner, "1.5", model="gpt-4o", feature="chat", inputTokens=100, outputTokens=50)
    ai_spend(owner, "2", model="gpt-4o", feature="image")
    ai_spend(owner, "0.25", model="whisper", feature="stt")
    ai_spend(owner, "0.0001", model="whisper", feature="stt")
    report = get_ai_usage(owner, days=30)
    assert report.by_model == {"gpt-4o": Decimal("3.5"), "whisper": Decimal("0.2501")}
    assert report.by_feature == {
        "chat": Decimal("1.5"),
        "image": Decimal("2"),
        "tts": Decimal("0"),
        "stt": Decimal("0.2501"),
    }


def test_no_ai_spending_gives_every_feature_at_zero_and_no_models() -> None:
    report = get_ai_usage(funded(), days=7)
    assert report.by_model == {}
    assert report.by_feature == dict.fromkeys(FEATURES, Decimal(0))


def test_entries_without_a_model_count_as_unknown_and_without_a_feature_only_per_model() -> None:
    owner = funded()
    ai_spend(owner, "1", feature="tts")
    ai_spend(owner, "2")
    ai_spend(owner, "4", model="claude")
    report = get_ai_usage(owner)
    assert report.by_model == {"unknown": Decimal("3"), "claude": Decimal("4")}
    assert report.by_feature["tts"] == Decimal("1")
    assert sum(report.by_feature.values()) == Decimal("1")


def test_non_ai_categories_other_types_and_other_wallets_are_excluded() -> None:
    owner = funded()
    ai_spend(owner, "1", model="gpt-4o", feature="chat")
    ai_spend(owner, "10", category="marketplace", model="gpt-4o", feature="chat")
    ai_spend(owner, "20", category="other", model="gpt-4o", feature="chat", inputTokens=7)
    credits.grant_personal_credits(
        owner.id, "5", description="refund", type="refund", metadata={"model": "gpt-4o"}
    )
    stranger = funded()
    ai_spend(stranger, "40", model="gpt-4o", feature="chat", inputTokens=1000)
    org = make_org(make_user("boss"))
    credits.grant_org_credits(org.id, "100", description="funding")
    ai_spend(WalletOwner.org(org.id), "80", model="gpt-4o", feature="chat", outputTokens=9)
    report = get_ai_usage(owner)
    assert report.by_model == {"gpt-4o": Decimal("1")}
    assert report.by_feature["chat"] == Decimal("1")
    tokens = get_token_usage(owner)
    assert (tokens.input_tokens, tokens.output_tokens, tokens.credits_used) == (0, 0, 1)
    assert get_ai_usage(WalletOwner.org(org.id)).by_model == {"gpt-4o": Decimal("80")}


def test_the_window_counts_whole_utc_days_including_today() -> None:
    owner = funded()
    today = NOW.replace(hour=0)
    with frozen_at(today):
        ai_spend(owner, "1", model="m", feature="chat")  # first moment of today
    with frozen_at(today - timedelta(microseconds=1)):
        ai_spend(owner, "2", model="m", feature="chat")  # last moment of yesterday
    with frozen_at(today - timedelta(days=6)):
        ai_spend(owner, "4", model="m", feature="chat")
    with frozen_at(today - timedelta(days=7)):
        ai_spend(owner, "8", model="m", feature="chat")
    assert get_ai_usage(owner, days=1).by_model == {"m": Decimal("1")}
    assert get_ai_usage(owner, days=2).by_model == {"m": Decimal("3")}
    assert get_ai_usage(owner, days=7).by_model == {"m": Decimal("7")}
    assert get_ai_usage(owner, days=8).by_feature["chat"] == Decimal("15")


@pytest.mark.parametrize("days", [0, -1, 367])
def test_the_window_must_be_one_to_366_days(days: int) -> None:
    with pytest.raises(InvalidArgument):
        get_ai_usage(funded(), days=days)


def test_tokens_and_credits_are_summed_for_the_current_utc_month_only() -> None:
    owner = funded()
    with frozen_at(datetime(2026, 2, 28, 23, 59, 59, tzinfo=UTC)):
        ai_spend(owner, "9", model="m", feature="chat", inputTokens=9000, outputTokens=900)
    with frozen_at(datetime(2026, 3, 1, tzinfo=UTC)):
        ai_spend(owner, "1", model="m", feature="chat", inputTokens=100, outputTokens=10)
    ai_spend(owner, "2.5", model="m", feature="image", inputTokens=20)
    ai_spend(owner, "3", model="m", feature="tts")  # no token counts
    tokens = get_token_usage(owner)
    assert (tokens.input_tokens, tokens.output_tokens, tokens.total_tokens) == (120, 10, 130)
    assert tokens.credits_used == Decimal("6.5")
    assert tokens.period_start == datetime(2026, 3, 1, tzinfo=UTC)
    assert tokens.period_end == datetime(2026, 4, 1, tzinfo=UTC)
    assert tokens.balance == Decimal("984.5")


def test_token_counts_beyond_32_bits_are_summed_exactly() -> None:
    """Regression: token counts were cast to INTEGER in SQL, which overflows on Postgres for the
    counts the metadata validation accepts (up to 10**12)."""
    owner = funded()
    ai_spend(owner, "1", model="m", feature="chat", inputTokens=MAX_TOKENS, outputTokens=2**31)
    ai_spend(owner, "1", model="m", feature="chat", inputTokens=MAX_TOKENS, outputTokens=1)
    tokens = get_token_usage(owner)
    assert tokens.input_tokens == 2 * MAX_TOKENS
    assert tokens.output_tokens == 2**31 + 1


@pytest.mark.parametrize(
    ("moment", "start", "end"),
    [
        (datetime(2026, 12, 31, 23, 59, tzinfo=UTC), datetime(2026, 12, 1), datetime(2027, 1, 1)),
        (datetime(2027, 1, 1, 0, 0, tzinfo=UTC), datetime(2027, 1, 1), datetime(2027, 2, 1)),
        (datetime(2028, 2, 29, 12, tzinfo=UTC), datetime(2028, 2, 1), datetime(2028, 3, 1)),
        # 01:00 on 1 July in UTC+3 is still June in UTC
        (
            datetime(2026, 7, 1, 1, tzinfo=timezone(timedelta(hours=3))),
            datetime(2026, 6, 1),
            datetime(2026, 7, 1),
        ),
    ],
)
def test_the_period_is_the_utc_calendar_month(
    moment: datetime, start: datetime, end: datetime
) -> None:
    owner = funded()
    with frozen_at(moment):
        tokens = get_token_usage(owner)
    assert tokens.period_start == start.replace(tzinfo=UTC)
    assert tokens.period_end == end.replace(tzinfo=UTC)
    assert tokens.period_start.utcoffset() == timedelta(0)


def test_percent_used_is_against_the_monthly_limit_when_one_is_set() -> None:
    owner = funded("100")
    update_wallet_settings(owner, {"monthly_limit": "3"})
    ai_spend(owner, "1", model="m", feature="chat")
    tokens = get_token_usage(owner)
    assert tokens.limit == Decimal("3")
    assert tokens.percent_used == Decimal("33.33")
    ai_spend(owner, "1", model="m", feature="chat")
    assert get_token_usage(owner).percent_used == Decimal("66.67")


def test_percent_used_is_against_used_plus_balance_without_a_limit() -> None:
    owner = funded("10")
    ai_spend(owner, "2.5", model="m", feature="chat")
    ai_spend(owner, "1", category="marketplace")  # spending, but not AI
    tokens = get_token_usage(owner)
    assert tokens.limit is None
    assert (tokens.credits_used, tokens.balance) == (Decimal("2.5"), Decimal("6.5"))
    assert tokens.percent_used == Decimal("27.78")  # 2.5 / 9 = 27.777...


def test_percent_used_is_zero_with_nothing_used_and_nothing_left() -> None:
    user = make_user("empty")
    tokens = get_token_usage(WalletOwner.user(user.id))
    assert (tokens.credits_used, tokens.balance, tokens.percent_used) == (0, 0, 0)


def test_percent_used_may_pass_100_after_the_limit_was_lowered() -> None:
    owner = funded("100")
    ai_spend(owner, "8", model="m", feature="chat")
    update_wallet_settings(owner, {"monthly_limit": "5"})
    assert get_token_usage(owner).percent_used == Decimal("160.00")


BAD_METADATA: list[dict[str, Any]] = [
    {"inputTokens": "10"},
    {"outputTokens": -1},
    {"inputTokens": True},
    {"outputTokens": 1.0},
    {"inputTokens": 1.5},
    {"inputTokens": MAX_TOKENS + 1},
    {"inputTokens": None, "outputTokens": [1]},
    {"feature": "video"},
    {"feature": "CHAT"},
    {"feature": 1},
    {"feature": ["chat"]},
    {"feature": {"name": "chat"}},
    {"model": ""},
    {"model": 42},
    {"model": "m" * 201},
    {"model": ["gpt-4o"]},
]


@pytest.mark.parametrize("metadata", BAD_METADATA)
def test_bad_ai_metadata_is_refused_and_nothing_is_written(metadata: dict[str, Any]) -> None:
    owner = funded()
    before = ledger_totals(owner)
    with pytest.raises(InvalidArgument):
        credits.deduct_personal_credits(owner.id, "1", category="ai_usage", metadata=metadata)
    assert ledger_totals(owner) == before


@pytest.mark.parametrize(
    "metadata",
    [
        {},
        {"model": "m", "feature": "stt", "inputTokens": 0, "outputTokens": MAX_TOKENS},
        {"model": "m" * 200, "feature": None, "extra": {"free": "form"}},
    ],
)
def test_well_formed_ai_metadata_is_accepted(metadata: dict[str, Any]) -> None:
    validate_ai_metadata(metadata)
    owner = funded()
    credits.deduct_personal_credits(owner.id, "1", category="ai_usage", metadata=metadata)
    assert ledger_totals(owner).entry_count == 2
