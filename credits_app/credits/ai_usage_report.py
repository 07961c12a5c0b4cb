"""AI spending read from the ledger: by model and feature, and this month's tokens for the widget.

AI charges are ordinary `usage` entries in the `ai_usage` category whose metadata carries the
model, feature and token counts (validated on write, see `ai_usage_metadata.py`), so the sums
below run in SQL on SQLite and Postgres alike.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, cast, func, select
from sqlmodel import Session

from credits_app.clock import month_of, utcnow
from credits_app.credits.ai_usage_metadata import (
    FEATURE_KEY,
    INPUT_TOKENS_KEY,
    MODEL_KEY,
    OUTPUT_TOKENS_KEY,
    AiFeature,
)
from credits_app.credits.amounts import units_to_credits
from credits_app.credits.categories import CreditUsageCategory, TransactionType
from credits_app.credits.credit_service import usage_window_start
from credits_app.credits.wallet_service import WalletOwner, entries, require_wallet
from credits_app.db import read_only

UNKNOWN_MODEL = "unknown"


@dataclass(frozen=True)
class AiUsageBreakdown:
    """Credits spent on AI over a window, per model and per feature (every feature present)."""

    by_model: dict[str, Decimal]
    by_feature: dict[str, Decimal]


@dataclass(frozen=True)
class TokenUsage:
    """The AI widget's figures for the current UTC calendar month."""

    input_tokens: int
    output_tokens: int
    credits_used: Decimal
    period_start: datetime
    period_end: datetime
    limit: Decimal | None
    percent_used: Decimal
    balance: Decimal

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


def get_ai_usage(
    owner: WalletOwner, *, days: int = 30, session: Session | None = None
) -> AiUsageBreakdown:
    """AI credits per model and feature over the last `days` UTC days (today included)."""
    since = datetime.combine(usage_window_start(days), time.min, tzinfo=UTC)
    model = func.coalesce(_text(MODEL_KEY), UNKNOWN_MODEL)
    feature = _text(FEATURE_KEY)
    spent = func.sum(-entries.c.amount)
    with read_only(session) as db:
        wallet_id = require_wallet(db, owner).id
        window = _ai_entries(wallet_id, since)
        per_model = db.execute(select(model, spent).where(*window).group_by(model)).all()
        per_feature = db.execute(select(feature, spent).where(*window).group_by(feature)).all()
    feature_units = {name: int(units) for name, units in per_feature if name}
    return AiUsageBreakdown(
        by_model={name: units_to_credits(int(units)) for name, units in per_model},
        by_feature={f.value: units_to_credits(feature_units.get(f.value, 0)) for f in AiFeature},
    )


def get_token_usage(owner: WalletOwner, *, session: Session | None = None) -> TokenUsage:
    """This month's AI tokens and credits, and how much of the limit (or balance) they took."""
    now = utcnow()
    period_start = datetime.combine(month_of(now), time.min, tzinfo=UTC)
    query = select(
        func.coalesce(func.sum(_integer(INPUT_TOKENS_KEY)), 0),
        func.coalesce(func.sum(_integer(OUTPUT_TOKENS_KEY)), 0),
        func.coalesce(func.sum(-entries.c.amount), 0),
    )
    with read_only(session) as db:
        wallet = require_wallet(db, owner)
        input_tokens, output_tokens, used_units = db.execute(
            query.where(*_ai_entries(wallet.id, period_start))
        ).one()
    used = units_to_credits(int(used_units))
    balance = units_to_credits(wallet.balance)
    limit = None if wallet.monthly_limit is None else units_to_credits(wallet.monthly_limit)
    return TokenUsage(
        input_tokens=int(input_tokens),
        output_tokens=int(output_tokens),
        credits_used=used,
        period_start=period_start,
        period_end=datetime.combine(_next_month(period_start.date()), time.min, tzinfo=UTC),
        limit=limit,
        percent_used=_percent(used, limit if limit is not None else used + balance),
        balance=balance,
    )


def _ai_entries(wallet_id: int, since: datetime) -> list[ColumnElement[bool]]:
    return [
        entries.c.wallet_id == wallet_id,
        entries.c.category == CreditUsageCategory.AI_USAGE.value,
        entries.c.type == TransactionType.USAGE.value,
        entries.c.created_at >= since,
    ]


def _text(key: str) -> Any:
    return entries.c["metadata"][key].as_string()


def _integer(key: str) -> Any:
    """A token count as BIGINT: `as_integer()` casts to INTEGER, which overflows on Postgres
    for counts above 2**31 - 1 although the metadata validation accepts up to 10**12."""
    return cast(entries.c["metadata"][key].as_string(), BigInteger)


def _percent(part: Decimal, whole: Decimal) -> Decimal:
    """Share in percent with two decimals; 0 when there is nothing to divide by."""
    if whole <= 0:
        return Decimal(0)
    return (part * 100 / whole).quantize(Decimal("0.01"))


def _next_month(first_day: date) -> date:
    return (first_day + timedelta(days=32)).replace(day=1)
