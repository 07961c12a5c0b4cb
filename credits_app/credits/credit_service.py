"""Universal credit operations: balances, grants, deductions, history and usage.

Each public function is one use case in one transaction. Pass `session=` to run it inside a
caller's transaction instead (Stripe fulfillment credits a wallet and marks a purchase together).
Personal and org wallets have separate functions and never fall back to each other.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, TypedDict, Unpack

from sqlalchemy import func, select
from sqlmodel import Session

from credits_app.clock import as_utc, utcnow
from credits_app.credits import spend_refunds
from credits_app.credits.amounts import AmountInput, parse_credits, units_to_credits
from credits_app.credits.categories import (
    CreditUsageCategory,
    TransactionType,
    parse_category,
    parse_transaction_type,
)
from credits_app.credits.drafts import NewLot
from credits_app.credits.errors import InvalidArgument, WalletNotFound
from credits_app.credits.history_cursor import decode_cursor, encode_cursor
from credits_app.credits.wallet_service import (
    EntryDraft,
    PostedEntry,
    WalletOwner,
    entries,
    open_wallet,
    post_entry,
    require_wallet,
    wallets,
)
from credits_app.db import read_only, unit_of_work

CREDIT_TYPES = frozenset(
    {
        TransactionType.GRANT,
        TransactionType.PURCHASE,
        TransactionType.REFUND,
        TransactionType.ADJUSTMENT,
        TransactionType.TRANSFER_IN,
    }
)
MAX_HISTORY_LIMIT = 100
MAX_USAGE_DAYS = 366


class GrantOptions(TypedDict, total=False):
    """Optional arguments of a grant: entry type (grant, purchase, refund, ...), metadata, key."""

    type: str
    metadata: Mapping[str, Any] | None
    idempotency_key: str | None
    session: Session | None
    lots: tuple[NewLot, ...]  # the lots it creates (default: one, source by type, no expiry)


class DeductOptions(TypedDict, total=False):
    """Optional arguments of a deduction."""

    description: str
    metadata: Mapping[str, Any] | None
    idempotency_key: str | None
    session: Session | None


@dataclass(frozen=True)
class CreditResult:
    """What a grant or deduction did: the ledger entry id and the balance right after it."""

    transaction_id: int
    amount: Decimal  # signed: negative for deductions
    new_balance: Decimal
    replayed: bool  # True when an idempotency key returned an earlier result
    lot_id: int | None = None  # the (first) lot a credit created


@dataclass(frozen=True)
class HistoryItem:
    """One ledger entry as clients see it."""

    id: int
    type: str
    category: str | None
    amount: Decimal
    balance_after: Decimal
    description: str
    metadata: dict[str, Any]
    created_at: datetime
    # Set where a self-service refund is possible (credits/spend_refunds.py).
    refundable_amount: Decimal | None = None
    refundable_until: datetime | None = None


@dataclass(frozen=True)
class HistoryPage:
    """Newest-first entries and the cursor for the next page (None on the last page)."""

    items: list[HistoryItem]
    next_cursor: str | None


@dataclass(frozen=True)
class DailyUsage:
    """Credits spent on one UTC day, in total and per category."""

    date: date
    total: Decimal
    by_category: dict[str, Decimal]


@dataclass(frozen=True)
class UsageReport:
    """Spending over the last `days` UTC days (today included), one `daily` row per day."""

    days: int
    total_used: Decimal
    by_category: dict[str, Decimal]
    daily: list[DailyUsage]


def balance(owner: WalletOwner, *, session: Session | None = None) -> Decimal:
    """The wallet's balance: its lots that have not expired (held credits included)."""
    with read_only(session) as db:
        return units_to_credits(require_wallet(db, owner).balance)


def grant(
    owner: WalletOwner,
    amount: AmountInput,
    *,
    description: str,
    **options: Unpack[GrantOptions],
) -> CreditResult:
    """Add credits to the owner's wallet (opened on first use) as one lot, or as `lots`.

    `type` may be grant, purchase, refund, adjustment, transfer_in; a grant may name its lot's
    source, expiry and priority through `lots` (their units must add up to `amount`).
    """
    entry_type = parse_transaction_type(options.get("type", TransactionType.GRANT))
    if entry_type not in CREDIT_TYPES:
        raise InvalidArgument(f"A grant cannot have type {entry_type.value!r}.")
    draft = EntryDraft(
        type=entry_type,
        amount=parse_credits(amount),
        description=description,
        metadata=options.get("metadata") or {},
        idempotency_key=options.get("idempotency_key"),
        lots=options.get("lots", ()),
    )
    with unit_of_work(options.get("session")) as db:
        try:
            posted = post_entry(db, owner, draft)
        except WalletNotFound:
            open_wallet(db, owner)
            posted = post_entry(db, owner, draft)
    return _result(posted)


def deduct(
    owner: WalletOwner,
    amount: AmountInput,
    *,
    category: str,
    **options: Unpack[DeductOptions],
) -> CreditResult:
    """Spend from exactly this wallet (never another); `InsufficientCredits` when it is short.

    Units come from the wallet's lots in the consumption order (DESIGN §3b).
    """
    draft = EntryDraft(
        type=TransactionType.USAGE,
        amount=-parse_credits(amount),
        category=parse_category(category),
        description=options.get("description", ""),
        metadata=options.get("metadata") or {},
        idempotency_key=options.get("idempotency_key"),
    )
    with unit_of_work(options.get("session")) as db:
        posted = post_entry(db, owner, draft)
    return _result(posted)


def get_personal_balance(user_id: int, *, session: Session | None = None) -> Decimal:
    """The user's personal wallet balance."""
    return balance(WalletOwner.user(user_id), session=session)


def get_org_balance(org_id: int, *, session: Session | None = None) -> Decimal:
    """The organization's wallet balance."""
    return balance(WalletOwner.org(org_id), session=session)


def grant_personal_credits(
    user_id: int, amount: AmountInput, *, description: str, **options: Unpack[GrantOptions]
) -> CreditResult:
    """Add credits to a user's wallet (opened on first use)."""
    return grant(WalletOwner.user(user_id), amount, description=description, **options)


def grant_org_credits(
    org_id: int, amount: AmountInput, *, description: str, **options: Unpack[GrantOptions]
) -> CreditResult:
    """Add credits to an organization's wallet (opened on first use)."""
    return grant(WalletOwner.org(org_id), amount, description=description, **options)


def deduct_personal_credits(
    user_id: int, amount: AmountInput, *, category: str, **options: Unpack[DeductOptions]
) -> CreditResult:
    """Spend from the user's own wallet only; raises `InsufficientCredits` when it is short."""
    return deduct(WalletOwner.user(user_id), amount, category=category, **options)


def deduct_org_credits(
    org_id: int, amount: AmountInput, *, category: str, **options: Unpack[DeductOptions]
) -> CreditResult:
    """Spend from the organization's wallet only; never touches a member's personal wallet."""
    return deduct(WalletOwner.org(org_id), amount, category=category, **options)


def get_history(
    owner: WalletOwner,
    *,
    type: str | None = None,
    category: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    search: str | None = None,
    session: Session | None = None,
) -> HistoryPage:
    """Newest-first ledger entries, filtered by type/category, time (`since` inclusive, `until`
    exclusive) and words in the description (case-insensitive), paged by an opaque keyset
    cursor."""
    if not 1 <= limit <= MAX_HISTORY_LIMIT:
        raise InvalidArgument(f"limit must be between 1 and {MAX_HISTORY_LIMIT}.")
    # Ledger order: entries are appended under the wallet lock, so their ids are the order the
    # balance moved and `balanceAfter` reads as a running balance (DESIGN §3b).
    query = select(entries).order_by(entries.c.id.desc())
    if since is not None:
        query = query.where(entries.c.created_at >= since)
    if until is not None:
        query = query.where(entries.c.created_at < until)
    if search:
        query = query.where(entries.c.description.ilike(_contains(search), escape="\\"))
    if type is not None:
        query = query.where(entries.c.type == parse_transaction_type(type).value)
    if category is not None:
        query = query.where(entries.c.category == parse_category(category).value)
    if cursor is not None:
        _, after_id = decode_cursor(cursor)
        query = query.where(entries.c.id < after_id)
    # The wallet's id as a subquery: one statement; only an empty page asks whether it exists.
    wallet_id = (
        select(wallets.c.id)
        .where(wallets.c.owner_kind == owner.kind.value, wallets.c.owner_id == owner.id)
        .scalar_subquery()
    )
    with read_only(session) as db:
        rows = db.execute(query.where(entries.c.wallet_id == wallet_id).limit(limit + 1)).all()
        if not rows:
            require_wallet(db, owner)
        refundable = spend_refunds.refundable_items(db, rows[:limit])
    items = [_history_item(row, refundable.get(row.id)) for row in rows[:limit]]
    has_more = len(rows) > limit
    next_cursor = encode_cursor(items[-1].created_at, items[-1].id) if has_more else None
    return HistoryPage(items=items, next_cursor=next_cursor)


def _contains(text: str) -> str:
    """A LIKE pattern matching `text` literally anywhere (%, _ and \\ escaped)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def get_usage(owner: WalletOwner, *, days: int = 30, session: Session | None = None) -> UsageReport:
    """Credits spent (usage entries) per UTC day and category over the last `days` days."""
    first_day = usage_window_start(days)
    day = func.date(entries.c.created_at)
    query = (
        select(day, entries.c.category, func.sum(-entries.c.amount))
        .where(
            entries.c.type == TransactionType.USAGE.value,
            entries.c.created_at >= datetime.combine(first_day, time.min, tzinfo=UTC),
        )
        .group_by(day, entries.c.category)
    )
    with read_only(session) as db:
        wallet = require_wallet(db, owner)
        rows = db.execute(query.where(entries.c.wallet_id == wallet.id)).all()
    spent = {(date.fromisoformat(str(d)), c): int(units) for d, c, units in rows}
    return _usage_report(days, first_day, spent)


def usage_window_start(days: int) -> date:
    """The first UTC day of a usage window of `days` days ending today (1 to MAX_USAGE_DAYS)."""
    if not 1 <= days <= MAX_USAGE_DAYS:
        raise InvalidArgument(f"days must be between 1 and {MAX_USAGE_DAYS}.")
    return utcnow().date() - timedelta(days=days - 1)


def _usage_report(days: int, first_day: date, spent: dict[tuple[date, str], int]) -> UsageReport:
    """Every day and every category present, zero-filled, so charts need no gap handling."""
    daily = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        per_category = {c.value: spent.get((day, c.value), 0) for c in CreditUsageCategory}
        daily.append(
            DailyUsage(
                date=day,
                total=units_to_credits(sum(per_category.values())),
                by_category={c: units_to_credits(u) for c, u in per_category.items()},
            )
        )
    by_category = {
        c.value: units_to_credits(sum(u for (_, cat), u in spent.items() if cat == c.value))
        for c in CreditUsageCategory
    }
    return UsageReport(
        days=days,
        total_used=units_to_credits(sum(spent.values())),
        by_category=by_category,
        daily=daily,
    )


def _result(posted: PostedEntry) -> CreditResult:
    return CreditResult(
        transaction_id=posted.id,
        amount=units_to_credits(posted.amount),
        new_balance=units_to_credits(posted.balance_after),
        replayed=posted.replayed,
        lot_id=posted.lot_id,
    )


def _history_item(row: Any, refundable: spend_refunds.Refundable | None = None) -> HistoryItem:
    return HistoryItem(
        id=row.id,
        type=row.type,
        category=row.category,
        amount=units_to_credits(row.amount),
        balance_after=units_to_credits(row.balance_after),
        description=row.description,
        metadata=dict(row.metadata),
        created_at=as_utc(row.created_at),
        refundable_amount=refundable.amount if refundable else None,
        refundable_until=refundable.until if refundable else None,
    )
