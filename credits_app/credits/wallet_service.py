"""Low-level wallet storage: open a wallet, lock it, post ledger entries through its lots.

Every write locks the wallet row first (`lock_wallet`: Postgres `FOR UPDATE`, SQLite's single
writer), expires its due lots, then moves the balance with `balance_moves.apply_move`. The
lock makes concurrent writers queue, so none can overdraw the wallet or lose an update, and
because entries are appended while it is held, their ids are the wallet's ledger order.
"""

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, cast

from sqlalchemy import Row, Select, Table, and_, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from credits_app.clock import as_utc, month_of, utcnow
from credits_app.credits.amounts import units_to_credits
from credits_app.credits.balance_moves import (
    Applied,
    Move,
    Takes,
    WalletState,
    apply_move,
    expire_due_lots_locked,
    read_wallet,
)
from credits_app.credits.categories import OwnerKind
from credits_app.credits.drafts import MAX_DESCRIPTION_LENGTH, EntryDraft
from credits_app.credits.errors import (
    BalanceLimitExceeded,
    CreditsError,
    IdempotencyConflict,
    InsufficientCredits,
    InvalidExpiry,
    MonthlyLimitReached,
    WalletNotFound,
)
from credits_app.credits.hold_expiry import release_expired_holds
from credits_app.credits.owners import WalletOwner
from credits_app.models import CreditAllocation, CreditLot, LedgerEntry, Organization, User, Wallet
from credits_app.notifications.alerts import LimitRefusal, report_limit_refusal

__all__ = [
    "MAX_DESCRIPTION_LENGTH",
    "EntryDraft",
    "PostedEntry",
    "WalletOwner",
    "WalletState",
    "entries",
    "lots",
    "wallets",
]

wallets = cast(Table, Wallet.__table__)  # type: ignore[attr-defined]
entries = cast(Table, LedgerEntry.__table__)  # type: ignore[attr-defined]
lots = cast(Table, CreditLot.__table__)  # type: ignore[attr-defined]
allocations = cast(Table, CreditAllocation.__table__)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class PostedEntry:
    """The outcome of posting: the ledger row, the balance right after it, its first new lot."""

    id: int
    wallet_id: int
    amount: int
    balance_after: int
    created_at: datetime
    lot_id: int | None = None
    replayed: bool = False


def find_wallet(session: Session, owner: WalletOwner) -> WalletState | None:
    """The owner's wallet as of now (lots past their expiry not counted), or None."""
    return read_wallet(session, owner, utcnow())


def require_wallet(session: Session, owner: WalletOwner) -> WalletState:
    """The owner's wallet, or `WalletNotFound`."""
    wallet = find_wallet(session, owner)
    if wallet is None:
        raise WalletNotFound(owner.kind.value, owner.id)
    return wallet


def lock_wallet(session: Session, owner: WalletOwner) -> WalletState:
    """Lock the owner's wallet until commit and expire its due lots first; its state after."""
    wallet = read_wallet(session, owner, utcnow(), lock=True)
    if wallet is None:
        raise WalletNotFound(owner.kind.value, owner.id)
    if wallet.due > 0:
        now = utcnow()
        expire_due_lots_locked(session, wallet.id, now)
        wallet = read_wallet(session, owner, now)
        assert wallet is not None
    return wallet


def open_wallet(session: Session, owner: WalletOwner) -> int:
    """Create the owner's wallet if missing and return its id; safe under concurrent calls."""
    _require_owner_exists(session, owner)
    insert = _dialect_insert(session)(wallets).values(
        owner_kind=owner.kind.value, owner_id=owner.id, balance=0, created_at=utcnow()
    )
    session.execute(insert.on_conflict_do_nothing(index_elements=["owner_kind", "owner_id"]))
    wallet_id: int = session.execute(select(wallets.c.id).where(_owned_by(owner))).scalar_one()
    return wallet_id


def post_entry(
    session: Session, owner: WalletOwner, draft: EntryDraft, *, prefer_entry: int | None = None
) -> PostedEntry:
    """Post `draft` exactly once per key: a credit creates its lots, a debit takes from lots in
    the consumption order (`prefer_entry`'s lots first, for a clawback). Locks the wallet."""
    _check_expiries(draft)
    wallet = lock_wallet(session, owner)
    move = _move_for(draft, prefer_entry)
    applied = apply_move(session, wallet.id, move, utcnow())
    if applied is None and draft.amount < 0 and _freed_expired_holds(session, wallet):
        applied = apply_move(session, wallet.id, move, utcnow())
    if applied is None:
        return _explain_refusal(session, owner, draft)
    return _posted(applied, draft)


def _move_for(draft: EntryDraft, prefer_entry: int | None) -> Move:
    if draft.amount > 0:
        return Move(draft.amount, entry=draft)
    return Move(draft.amount, -draft.amount, Takes.FREE, prefer_entry=prefer_entry, entry=draft)


def _posted(applied: Applied, draft: EntryDraft) -> PostedEntry:
    assert applied.entry_id is not None
    return PostedEntry(
        applied.entry_id,
        applied.wallet_id,
        draft.amount,
        applied.balance_after,
        applied.created_at,
        lot_id=applied.lot_id,
    )


def _check_expiries(draft: EntryDraft) -> None:
    """A credit's lots must expire after now: an already-expired grant is a mistake (400)."""
    now = utcnow()
    for lot in draft.new_lots():
        if lot.expires_at is not None and lot.expires_at <= now:
            raise InvalidExpiry(
                "expiresAt must be in the future.", expiresAt=lot.expires_at.isoformat()
            )


def _freed_expired_holds(session: Session, wallet: WalletState) -> bool:
    """A refused debit first frees holds whose request died (rare: only on refusal)."""
    return wallet.held > 0 and release_expired_holds(session, wallet.id) > 0


def _explain_refusal(session: Session, owner: WalletOwner, draft: EntryDraft) -> PostedEntry:
    """Nothing was posted: replay the entry that holds the key, or raise the precise error."""
    if draft.idempotency_key is not None:
        earlier = _find_keyed_entry(session, owner, draft.idempotency_key)
        if earlier is not None:
            return _replay(session, earlier, draft)
    wallet = require_wallet(session, owner)
    if draft.amount > 0:
        raise BalanceLimitExceeded(
            "This credit would exceed the largest balance a wallet can hold."
        )
    raise debit_refusal(wallet, -draft.amount, spend=draft.spend_units())


def debit_refusal(wallet: WalletState, units: int, *, spend: int) -> CreditsError:
    """Why a debit (or a hold) of `units` (of which `spend` counts toward the monthly limit) was
    refused: the limit when it is what stops it, else the available balance.

    Only a spend or a hold can hit the limit (the guard skips it otherwise), so a non-usage
    debit is never blamed on it. Held credits count as spent, as they do in the guard.
    """
    month = month_of(utcnow())
    reserved = wallet.spent_in(month) + wallet.held
    if spend > 0 and wallet.monthly_limit is not None and reserved + spend > wallet.monthly_limit:
        refused = MonthlyLimitReached(
            required=units_to_credits(units),
            monthly_limit=units_to_credits(wallet.monthly_limit),
            used_this_month=units_to_credits(reserved),
        )
        # The refused spend's transaction rolls back, so it cannot carry the alert: it is
        # published after the rollback, in its own transaction, once per month (and limit).
        refusal = LimitRefusal(wallet.id, wallet.monthly_limit, reserved, units, month)
        refused.after_rollback.append(partial(report_limit_refusal, refusal))
        return refused
    return InsufficientCredits(
        required=units_to_credits(units), available=units_to_credits(max(wallet.available, 0))
    )


def _find_keyed_entry(session: Session, owner: WalletOwner, key: str) -> Row[Any] | None:
    query: Select[Any] = (
        select(
            entries.c.id,
            entries.c.wallet_id,
            entries.c.amount,
            entries.c.balance_after,
            entries.c.created_at,
            entries.c.request_hash,
        )
        .join(wallets, wallets.c.id == entries.c.wallet_id)
        .where(_owned_by(owner), entries.c.idempotency_key == key)
    )
    return session.execute(query).one_or_none()


def _replay(session: Session, earlier: Row[Any], draft: EntryDraft) -> PostedEntry:
    if earlier.request_hash != draft.request_hash():
        assert draft.idempotency_key is not None
        raise IdempotencyConflict(draft.idempotency_key)
    return PostedEntry(
        earlier.id,
        earlier.wallet_id,
        earlier.amount,
        earlier.balance_after,
        as_utc(earlier.created_at),
        lot_id=session.execute(
            select(func.min(lots.c.id)).where(lots.c.entry_id == earlier.id)
        ).scalar_one(),
        replayed=True,
    )


def _owned_by(owner: WalletOwner) -> Any:
    return and_(wallets.c.owner_kind == owner.kind.value, wallets.c.owner_id == owner.id)


def _require_owner_exists(session: Session, owner: WalletOwner) -> None:
    model = User if owner.kind is OwnerKind.USER else Organization
    if session.get(model, owner.id) is None:
        raise WalletNotFound(owner.kind.value, owner.id)


def _dialect_insert(session: Session) -> Any:
    """INSERT with ON CONFLICT support for the session's database."""
    dialect = session.get_bind().dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert
