"""Refunding a spend back into the credits it was paid with (DESIGN §3b "Refunds return to lots").

A refund of a `usage` entry gives its units back to the very lots the spend took them from,
the lot taken last first: their `remaining` goes back up, so the units keep that lot's expiry,
priority and cost basis (a lot never holds more than its original: a refund returns only what
its spend took from each lot, minus what earlier refunds of that spend returned there).
`spend_refund_parts` records which lot got which units back (`restored`). Units whose lot has
expired meanwhile expire at once, in an `expiry` entry in the same transaction, so a refund can
never resurrect expired credits. The part of a spend no allocation explains (spent before lots
existed) comes back as a new never-expiring `refund` lot. Everything happens under the
wallet's lock, so concurrent refunds of one entry queue and together never return more than
was spent.

Who may refund what is decided here:
- self-service (`refund_own_spend`): a user for their personal wallet, an owner/admin for the
  org wallet; only `marketplace` spends within `REFUND_WINDOW_DAYS`; else 409 `not_refundable`;
- platform services (`refund_for_service`) and operators: any `usage` entry, no window.
The month's spend counter goes down by what is refunded while the spend's month is current,
in the refund's own balance move (`EntryDraft.unspend`, applied by `apply_move`).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Row, Table, func, select, text
from sqlmodel import Session

from credits_app.auth.organizations import require_manager
from credits_app.clock import as_utc, month_of, utcnow
from credits_app.credits.amounts import AmountInput, format_credits, parse_credits, units_to_credits
from credits_app.credits.balance_moves import Move, apply_move, expire_due_lots_locked, read_wallet
from credits_app.credits.categories import (
    CreditUsageCategory,
    LotSource,
    OwnerKind,
    TransactionType,
)
from credits_app.credits.drafts import (
    MAX_DESCRIPTION_LENGTH,
    LotReturn,
    NewLot,
    request_fingerprint,
)
from credits_app.credits.errors import (
    BalanceLimitExceeded,
    CreditsError,
    IdempotencyConflict,
    InvalidArgument,
)
from credits_app.credits.owners import WalletOwner
from credits_app.credits.wallet_service import (
    EntryDraft,
    allocations,
    entries,
    lock_wallet,
    lots,
    wallets,
)
from credits_app.db import unit_of_work
from credits_app.models import SpendRefundPart
from credits_app.settings import get_settings

parts = cast(Table, SpendRefundPart.__table__)  # type: ignore[attr-defined]
SELF_SERVICE_CATEGORIES = frozenset({CreditUsageCategory.MARKETPLACE.value})
MAX_REASON_LENGTH = 300
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class TransactionNotFound(CreditsError):
    """No such ledger entry in this wallet (another wallet's entry looks the same)."""

    code = "transaction_not_found"

    def __init__(self, entry_id: int) -> None:
        super().__init__(f"No transaction {entry_id} in this wallet.", transactionId=entry_id)


class NotRefundable(CreditsError):
    """The entry is not a spend this caller may refund (type, category or window)."""

    code = "not_refundable"


class AmountExceedsRefundable(CreditsError):
    """More than what is left to refund of the spend."""

    code = "amount_exceeds_refundable"


@dataclass(frozen=True)
class RefundResult:
    """What a refund did: its ledger entry, how much came back, what is still refundable."""

    refund_id: int
    refunded_amount: Decimal
    remaining_refundable: Decimal
    new_balance: Decimal
    expired_amount: Decimal  # of the refunded units, those whose lot had already expired
    replayed: bool = False


@dataclass(frozen=True)
class Refundable:
    """What a self-service refund could still return for a history item, and until when."""

    amount: Decimal
    until: datetime


def refund_own_spend(
    actor_user_id: int,
    owner: WalletOwner,
    entry_id: int,
    amount: AmountInput | None = None,
    *,
    reason: str | None = None,
    idempotency_key: str | None = None,
) -> RefundResult:
    """Self-service: the user's own wallet, or an org wallet the user owns or administers."""
    with unit_of_work() as db:
        if owner.kind is OwnerKind.ORG:
            require_manager(actor_user_id, owner.id, session=db)
        elif owner.id != actor_user_id:
            raise TransactionNotFound(entry_id)
        return _refund(
            db,
            entry_id,
            amount,
            owner=owner,
            reason=reason or "Refund requested",
            key=f"refund:{idempotency_key}" if idempotency_key else None,
            extra={"requestedBy": actor_user_id},
        )


def refund_for_service(
    entry_id: int,
    amount: AmountInput | None = None,
    *,
    reason: str,
    idempotency_key: str | None = None,
    operator: str | None = None,
) -> RefundResult:
    """Platform services and operators: any `usage` entry of any wallet, any category, any age."""
    key = f"service:refund:{idempotency_key}" if idempotency_key else None
    with unit_of_work() as db:
        if key is not None and db.get_bind().dialect.name == "postgresql":
            # One service key, one request at a time, across wallets (like service deductions).
            db.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})
        return _refund(
            db,
            entry_id,
            amount,
            owner=None,
            reason=reason,
            key=key,
            extra={"operator": operator} if operator else {"by": "service"},
        )


def _refund(
    db: Session,
    entry_id: int,
    amount: AmountInput | None,
    *,
    owner: WalletOwner | None,
    reason: str,
    key: str | None,
    extra: dict[str, Any],
) -> RefundResult:
    reason = _clean_reason(reason)
    requested = parse_credits(amount) if amount is not None else None
    spend = _find_spend(db, entry_id, owner)
    wallet_owner = WalletOwner(OwnerKind(spend.owner_kind), spend.owner_id)
    if owner is not None:
        _check_self_service(spend)
    elif spend.type != TransactionType.USAGE.value:
        raise NotRefundable("Only spending (usage entries) can be refunded.", type=spend.type)
    lock_wallet(db, wallet_owner)
    request_hash = _request_hash(entry_id, requested, reason)
    if key is not None:
        earlier = _earlier_refund(db, spend, key, request_hash, owner is None)
        if earlier is not None:
            return earlier
    spent = -int(spend.amount)
    refunded_before = _refunded(db, [entry_id]).get(entry_id, 0)
    left = spent - refunded_before
    units = left if requested is None else requested
    if units <= 0 or units > left:
        raise AmountExceedsRefundable(
            f"At most {format_credits(left)} credits of this spend can still be refunded.",
            remainingRefundable=units_to_credits(left),
        )
    now = utcnow()
    plan = _plan(db, spend.id, spent, units)
    same_month = month_of(as_utc(spend.created_at)) == month_of(now)
    draft = EntryDraft(
        type=TransactionType.REFUND,
        amount=units,
        category=CreditUsageCategory(spend.category) if spend.category else None,
        description=_description(entry_id, reason),
        metadata={
            "refundOf": entry_id,
            "reason": reason,
            "requestHash": request_hash,
            "lots": [{"lotId": part.lot_id, "units": part.units} for part in plan],
        }
        | extra,
        idempotency_key=key,
        lots=tuple(NewLot(part.units, LotSource.REFUND) for part in plan if part.lot_id is None),
        returns=tuple(
            LotReturn(part.lot_id, part.units) for part in plan if part.lot_id is not None
        ),
        unspend=units if same_month else 0,  # a refund in the spend's month gives it back
    )
    applied = apply_move(db, spend.wallet_id, Move(units, entry=draft), now)
    if applied is None or applied.entry_id is None:
        raise BalanceLimitExceeded(
            "This refund would exceed the largest balance a wallet can hold."
        )
    db.execute(
        parts.insert(),
        [
            {"usage_entry_id": entry_id, "refund_entry_id": applied.entry_id}
            | {"lot_id": part.lot_id, "units": part.units, "restored": part.lot_id is not None}
            for part in plan
        ],
    )
    expired = sum(part.units for part in plan if part.expired(now))
    if expired:
        expire_due_lots_locked(db, spend.wallet_id, now)  # returned to an expired lot: gone
    state = read_wallet(db, wallet_owner, now)
    assert state is not None
    return RefundResult(
        applied.entry_id,
        units_to_credits(units),
        units_to_credits(left - units),
        units_to_credits(state.balance),
        units_to_credits(expired),
    )


def _find_spend(db: Session, entry_id: int, owner: WalletOwner | None) -> Row[Any]:
    query = (
        select(
            entries.c.id,
            entries.c.wallet_id,
            entries.c.type,
            entries.c.category,
            entries.c.amount,
            entries.c.created_at,
            wallets.c.owner_kind,
            wallets.c.owner_id,
        )
        .join(wallets, wallets.c.id == entries.c.wallet_id)
        .where(entries.c.id == entry_id)
    )
    if owner is not None:
        query = query.where(
            wallets.c.owner_kind == owner.kind.value, wallets.c.owner_id == owner.id
        )
    row = db.execute(query).one_or_none()
    if row is None:
        raise TransactionNotFound(entry_id)
    return row


def _check_self_service(spend: Row[Any]) -> None:
    """Self-service refunds: marketplace spends, within the window."""
    if spend.type != TransactionType.USAGE.value or spend.category not in SELF_SERVICE_CATEGORIES:
        raise NotRefundable(
            "Only marketplace purchases can be refunded here.",
            type=spend.type,
            category=spend.category,
        )
    until = _window_end(as_utc(spend.created_at))
    if utcnow() > until:
        raise NotRefundable(
            "The refund window for this purchase has closed.", refundableUntil=until.isoformat()
        )


def _window_end(created_at: datetime) -> datetime:
    return created_at + timedelta(days=get_settings().refund_window_days)


@dataclass(frozen=True)
class _Part:
    """Units of the refund going back to one lot the spend took from (None: no lot explains
    them, they come back as a new `refund` lot)."""

    lot_id: int | None
    units: int
    expires_at: datetime | None = None

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now


def _plan(db: Session, usage_id: int, spent: int, units: int) -> list[_Part]:
    """Which lots get the units back: the lot the spend took last first, each at most what the
    spend took from it minus what earlier refunds of the spend gave it back."""
    taken = db.execute(
        select(
            allocations.c.lot_id,
            func.sum(allocations.c.units).label("units"),
            lots.c.expires_at,
            lots.c.priority,
            lots.c.created_at,
        )
        .join(lots, lots.c.id == allocations.c.lot_id)
        .where(allocations.c.entry_id == usage_id)
        .group_by(allocations.c.lot_id, lots.c.expires_at, lots.c.priority, lots.c.created_at)
    ).all()
    returned = dict(
        db.execute(
            select(parts.c.lot_id, func.sum(parts.c.units))
            .where(parts.c.usage_entry_id == usage_id)
            .group_by(parts.c.lot_id)
        ).all()
    )
    # Consumption order, reversed: the lot the spend took last gets its units back first.
    ordered = sorted(taken, key=_consumption_key, reverse=True)
    plan: list[_Part] = []
    need = units
    for row in ordered:
        free = int(row.units) - int(returned.get(row.lot_id, 0))
        give = min(free, need)
        if give <= 0:
            continue
        expires = as_utc(row.expires_at) if row.expires_at else None
        plan.append(_Part(row.lot_id, give, expires))
        need -= give
    if need > 0:  # the part of the spend no allocation explains (spent before lots existed)
        plan.append(_Part(None, need))
    return plan


def _consumption_key(row: Any) -> tuple[Any, ...]:
    """DESIGN §3b's order (as ledger_sql.CONSUMPTION_ORDER) for a lot row in Python."""
    expires = as_utc(row.expires_at) if row.expires_at else _EPOCH
    return (row.expires_at is None, expires, row.priority, as_utc(row.created_at), row.lot_id)


def _refunded(db: Session, usage_ids: Sequence[int]) -> dict[int, int]:
    rows = db.execute(
        select(parts.c.usage_entry_id, func.sum(parts.c.units))
        .where(parts.c.usage_entry_id.in_(list(usage_ids)))
        .group_by(parts.c.usage_entry_id)
    ).all()
    return {int(usage_id): int(units) for usage_id, units in rows}


def _earlier_refund(
    db: Session, spend: Row[Any], key: str, request_hash: str, any_wallet: bool
) -> RefundResult | None:
    """The refund this key already made (its original result), or a conflict."""
    query = select(entries.c.id, entries.c.amount, entries.c.balance_after, entries.c.metadata)
    query = query.where(entries.c.idempotency_key == key)
    if not any_wallet:
        query = query.where(entries.c.wallet_id == spend.wallet_id)
    row = db.execute(query.limit(1)).one_or_none()
    if row is None:
        return None
    metadata = dict(row.metadata)
    if metadata.get("requestHash") != request_hash:
        raise IdempotencyConflict(key.removeprefix("service:").removeprefix("refund:"))
    refunded = _refunded(db, [spend.id]).get(spend.id, 0)
    return RefundResult(
        row.id,
        units_to_credits(int(row.amount)),
        units_to_credits(-int(spend.amount) - refunded),
        units_to_credits(int(row.balance_after)),
        Decimal(0),
        replayed=True,
    )


def refundable_items(db: Session, rows: Sequence[Any]) -> dict[int, Refundable]:
    """For history: which of these entries a self-service refund could still return, how much
    and until when (marketplace spends inside the window with something left)."""
    now = utcnow()
    candidates = [
        row
        for row in rows
        if row.type == TransactionType.USAGE.value
        and row.category in SELF_SERVICE_CATEGORIES
        and _window_end(as_utc(row.created_at)) >= now
    ]
    if not candidates:
        return {}
    refunded = _refunded(db, [row.id for row in candidates])
    result = {}
    for row in candidates:
        left = -int(row.amount) - refunded.get(row.id, 0)
        if left > 0:
            result[row.id] = Refundable(units_to_credits(left), _window_end(as_utc(row.created_at)))
    return result


def _clean_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise InvalidArgument("Give a reason for the refund.", field="reason")
    if len(reason) > MAX_REASON_LENGTH:
        raise InvalidArgument(
            f"reason must be at most {MAX_REASON_LENGTH} characters.", field="reason"
        )
    return reason


def _description(entry_id: int, reason: str) -> str:
    return f"Refund of transaction #{entry_id}: {reason}"[:MAX_DESCRIPTION_LENGTH]


def _request_hash(entry_id: int, requested: int | None, reason: str) -> str:
    return request_fingerprint([entry_id, requested, reason])
