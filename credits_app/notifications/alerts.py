"""Alert rules: which events a balance move causes, judged from the balance before and after.

`after_balance_move` runs inside the move's transaction while the wallet row is locked by the
move itself, so concurrent moves are judged one after another on exact before/after values:
of 16 concurrent debits across the low threshold exactly one sees `before > low >= after`. A
threshold event therefore fires once per crossing and re-arms when the balance crosses back:
- balance: `ok → low` fires balance.low, `→ critical` balance.critical (the more severe one
  only, when one move crosses both), back above the low threshold (or the critical one, when
  no low threshold is set) fires balance.recovered;
- monthly spending crossing 80 % of the limit fires monthly_limit.warning, reaching the limit
  fires monthly_limit.reached (a new month starts from zero and re-arms both);
- a spend *refused* by the limit (it would go past it: nothing moved, its transaction rolled
  back) fires monthly_limit.reached too, from `report_limit_refusal` in a transaction of its
  own after the rollback. Both ways share one dedupe key per wallet, month and limit value, so
  the wallet is told once a month however many spends are refused (16 at once included), and
  again only when a new month starts or the owner sets a different limit and reaches that;
- the entry itself: purchase.completed, refund.created, transfer.sent/received,
  credits.expired.
"""

from dataclasses import dataclass
from datetime import date
from enum import IntEnum
from typing import Any, cast

from sqlalchemy import Table, select
from sqlmodel import Session

from credits_app.billing.auto_recharge_trigger import after_debit
from credits_app.clock import month_of, utcnow
from credits_app.credits.amounts import units_to_credits
from credits_app.credits.categories import OwnerKind, TransactionType
from credits_app.credits.owners import WalletOwner
from credits_app.db import unit_of_work
from credits_app.models import Wallet
from credits_app.notifications.events import EventType
from credits_app.notifications.publish import publish

wallets = cast(Table, Wallet.__table__)  # type: ignore[attr-defined]
WARNING_PERCENT = 80

ENTRY_EVENTS = {
    TransactionType.PURCHASE.value: EventType.PURCHASE_COMPLETED,
    TransactionType.REFUND.value: EventType.REFUND_CREATED,
    TransactionType.TRANSFER_OUT.value: EventType.TRANSFER_SENT,
    TransactionType.TRANSFER_IN.value: EventType.TRANSFER_RECEIVED,
    TransactionType.EXPIRY.value: EventType.CREDITS_EXPIRED,
}


@dataclass(frozen=True)
class BalanceMove:
    """One committed-to-be balance move, as the write path saw it under the wallet lock."""

    wallet_id: int
    entry_id: int | None
    entry_type: str | None
    amount: int  # signed units
    balance_after: int
    spend: int = 0  # units of this move counted against the monthly limit


@dataclass(frozen=True)
class Thresholds:
    """A wallet's alert settings in units (None = not set)."""

    low: int | None
    critical: int | None
    monthly_limit: int | None


class Level(IntEnum):
    """How far down a balance is; higher is worse."""

    OK = 0
    LOW = 1
    CRITICAL = 2


def level(balance: int, thresholds: Thresholds) -> Level:
    """At or below a threshold counts as below it (the same rule as the balance status)."""
    if thresholds.critical is not None and balance <= thresholds.critical:
        return Level.CRITICAL
    if thresholds.low is not None and balance <= thresholds.low:
        return Level.LOW
    return Level.OK


def balance_crossing(before: int, after: int, thresholds: Thresholds) -> EventType | None:
    """The balance event of a move from `before` to `after`, if it crossed a threshold."""
    was, now = level(before, thresholds), level(after, thresholds)
    if now > was:
        return EventType.BALANCE_CRITICAL if now is Level.CRITICAL else EventType.BALANCE_LOW
    if now is Level.OK and was is not Level.OK:
        return EventType.BALANCE_RECOVERED
    return None


def limit_crossing(spent_before: int, spent_after: int, limit: int | None) -> EventType | None:
    """The monthly-limit event of spending going from `spent_before` to `spent_after`."""
    if limit is None or spent_after <= spent_before:
        return None
    if spent_before < limit <= spent_after:
        return EventType.MONTHLY_LIMIT_REACHED
    warning = -(-limit * WARNING_PERCENT // 100)  # ceil: the first unit at or over 80 %
    if spent_before < warning <= spent_after:
        return EventType.MONTHLY_LIMIT_WARNING
    return None


@dataclass(frozen=True)
class WalletAlertState:
    """The wallet's settings and spending after a move, as the move statement returns them
    (credits/ledger_sql.ALERT_COLUMNS), so the rules need no read of their own."""

    owner_kind: str
    owner_id: int
    low_threshold: int | None
    critical_threshold: int | None
    monthly_limit: int | None
    spend_month: date | None
    spent_this_month: int
    held: int
    auto_recharge_below: int | None  # the auto-recharge trigger (billing/auto_recharge.py)


def after_balance_move(
    db: Session, move: BalanceMove, *, wallet: WalletAlertState | None = None
) -> None:
    """Publish the events this move causes, in its transaction (call it right after the move).

    `wallet` is the wallet as the move left it; without it, it is read here."""
    if move.amount == 0:
        return
    row = (
        wallet
        or db.execute(
            select(
                wallets.c.owner_kind,
                wallets.c.owner_id,
                wallets.c.low_threshold,
                wallets.c.critical_threshold,
                wallets.c.monthly_limit,
                wallets.c.spend_month,
                wallets.c.spent_this_month,
                wallets.c.held,
                wallets.c.auto_recharge_below,
            ).where(wallets.c.id == move.wallet_id)
        ).one()
    )
    if move.amount < 0:  # a debit may start the wallet's auto-recharge (a job, never Stripe)
        after_debit(db, move.wallet_id, move.balance_after - row.held, row.auto_recharge_below)
    owner = WalletOwner(OwnerKind(row.owner_kind), row.owner_id)
    thresholds = Thresholds(row.low_threshold, row.critical_threshold, row.monthly_limit)
    before = move.balance_after - move.amount
    balance_data = _balance_data(move, before)
    balance_event = balance_crossing(before, move.balance_after, thresholds)
    if balance_event is not None:
        threshold = _threshold_of(balance_event, thresholds)
        data = balance_data | {"threshold": _credits(threshold)}
        publish(db, balance_event, owner, data)
    spent_after = _spent_this_month(row.spend_month, row.spent_this_month)
    limit_event = limit_crossing(spent_after - move.spend, spent_after, thresholds.monthly_limit)
    if limit_event is not None and thresholds.monthly_limit is not None:
        data = {"used": _credits(spent_after), "limit": _credits(thresholds.monthly_limit)}
        dedupe = None
        if limit_event is EventType.MONTHLY_LIMIT_REACHED:
            month = month_of(utcnow())
            dedupe = limit_reached_key(move.wallet_id, month, thresholds.monthly_limit)
        publish(db, limit_event, owner, data, dedupe_key=dedupe)
    entry_event = ENTRY_EVENTS.get(move.entry_type or "")
    if entry_event is not None:
        publish(db, entry_event, owner, balance_data | {"amount": _credits(abs(move.amount))})


@dataclass(frozen=True)
class LimitRefusal:
    """A spend (or hold) of `requested` units refused because `used` + it would pass `limit`."""

    wallet_id: int
    limit: int
    used: int  # spent this month plus held, as the refusal counted it
    requested: int
    month: date


def limit_reached_key(wallet_id: int, month: date, limit: int) -> str:
    """One monthly_limit.reached per wallet, month and limit value (crossing or refusal)."""
    return f"monthly_limit.reached:{wallet_id}:{month:%Y-%m}:{limit}"


def report_limit_refusal(refusal: LimitRefusal) -> int | None:
    """Publish monthly_limit.reached for a refused spend, in its own transaction; the event id,
    or None when this wallet was already told this month (for this limit)."""
    with unit_of_work() as db:
        row = db.execute(
            select(wallets.c.owner_kind, wallets.c.owner_id).where(
                wallets.c.id == refusal.wallet_id
            )
        ).one()
        owner = WalletOwner(OwnerKind(row.owner_kind), row.owner_id)
        data = {
            "used": _credits(refusal.used),
            "limit": _credits(refusal.limit),
            "refused": _credits(refusal.requested),
        }
        key = limit_reached_key(refusal.wallet_id, refusal.month, refusal.limit)
        return publish(db, EventType.MONTHLY_LIMIT_REACHED, owner, data, dedupe_key=key)


def _threshold_of(event: EventType, thresholds: Thresholds) -> int | None:
    if event is EventType.BALANCE_CRITICAL:
        return thresholds.critical
    return thresholds.low if thresholds.low is not None else thresholds.critical


def _balance_data(move: BalanceMove, before: int) -> dict[str, Any]:
    return {
        "balance": _credits(move.balance_after),
        "previousBalance": _credits(before),
        "transactionId": move.entry_id,
    }


def _spent_this_month(spend_month: date | None, spent: int) -> int:
    return spent if spend_month == utcnow().date().replace(day=1) else 0


def _credits(units: int | None) -> str | None:
    """Exact decimal text (JSON numbers would lose the fixed point in some clients)."""
    return None if units is None else str(units_to_credits(units))
