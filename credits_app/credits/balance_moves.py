"""The one place a wallet's balance moves: `apply_move`, under the wallet's row lock.

Every credit, debit, hold, settlement, release and expiry is a `Move`: what the balance does,
which lots give the units (in the consumption order, DESIGN §3b), which lots a credit creates
or gives units back to (a spend refund), what `held` and the month's spend counter do, and the
ledger entry that records it. `apply_move` runs it as one statement on Postgres (the SQL is in
`ledger_sql.py`) and as the same fragments in sequence on SQLite, so after every move
`balance == sum(entries) == sum(lot remaining)` and `held == sum(lot held)`.

The caller holds the wallet lock (`lock_wallet`), which first expires the wallet's due lots
in the same transaction: an expired lot is never spendable, whatever the sweeper has done.
"""

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlmodel import Session

from credits_app.clock import as_utc, month_of
from credits_app.credits import ledger_sql
from credits_app.credits.amounts import MAX_BALANCE_UNITS, format_credits
from credits_app.credits.categories import TransactionType
from credits_app.credits.drafts import EntryDraft
from credits_app.credits.owners import WalletOwner
from credits_app.notifications.alerts import BalanceMove, WalletAlertState, after_balance_move


@dataclass(frozen=True)
class WalletState:
    """A wallet's balance and spending settings, in units, as of one read.

    `stored_balance` is the row's balance; `due` of it sits in lots whose expiry has passed
    but whose `expiry` entry is not written yet: never counted, never spendable.
    """

    id: int
    stored_balance: int
    monthly_limit: int | None
    low_threshold: int | None
    critical_threshold: int | None
    spend_month: date | None
    spent_this_month: int
    held: int
    due: int = 0

    @property
    def balance(self) -> int:
        """What the wallet holds: its lots that have not expired."""
        return self.stored_balance - self.due

    @property
    def available(self) -> int:
        """What can be spent now: the balance minus credits reserved by in-flight requests."""
        return self.balance - self.held

    def spent_in(self, month: date) -> int:
        """Usage units spent in the UTC month starting on `month` (0 once a new month began)."""
        return self.spent_this_month if self.spend_month == month else 0


class Takes(StrEnum):
    """Which lots give a move its units (see `ledger_sql.CANDIDATES`)."""

    NONE = "none"  # a credit: it creates lots instead
    FREE = "free"  # a debit or a new hold: unpinned units of unexpired lots, in order
    LOT = "lot"  # an expiry: the unheld rest of one lot
    PINNED = "pinned"  # a settlement or release: the units the hold pinned


@dataclass(frozen=True)
class Move:
    """One change to a wallet: `amount` to the balance, `needed` units from lots, held +/-."""

    amount: int = 0
    needed: int = 0
    takes: Takes = Takes.NONE
    pin: int = 0  # units a new hold reserves (taken from lots into their `held`)
    release: int = 0  # units of `wallets.held` a settlement or release gives back
    prefer_entry: int | None = None  # a clawback spends this entry's lots first
    lot_id: int | None = None
    hold_id: int | None = None
    entry: EntryDraft | None = None


@dataclass(frozen=True)
class Applied:
    """What a move did: the wallet, the balance after it, its entry and first new lot (if any)."""

    wallet_id: int
    balance_after: int
    entry_id: int | None
    lot_id: int | None
    created_at: datetime


def read_wallet(
    session: Session, owner: WalletOwner, now: datetime, *, lock: bool = False
) -> WalletState | None:
    """The owner's wallet as of `now` (due lots not counted), locked until commit if asked."""
    statement = ledger_sql.READ_WALLET
    if lock and session.get_bind().dialect.name == "postgresql":
        statement = ledger_sql.LOCK_WALLET
    params = {"owner_kind": owner.kind.value, "owner_id": owner.id, "now": now}
    row = session.execute(statement, params).one_or_none()
    return WalletState(*row) if row else None


def lock_wallet_by_id(session: Session, wallet_id: int) -> None:
    """Take a wallet's row lock until commit (for callers that know only its id)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(ledger_sql.LOCK_WALLET_BY_ID, {"wallet_id": wallet_id})


def expire_due_lots_locked(session: Session, wallet_id: int, now: datetime) -> int:
    """Write the `expiry` entry of every due lot of a wallet whose lock the caller holds.

    A lot expires once (key `lot-expiry:<id>`); units that come back to it later (a released
    hold) expire in an entry keyed by how much had expired before, so each unit leaves once.
    Returns how many lots it expired.
    """
    due = session.execute(ledger_sql.DUE_LOTS, {"wallet_id": wallet_id, "now": now}).all()
    for lot_id, free, expired, source, expires_at in due:
        key = f"lot-expiry:{lot_id}" if expired == 0 else f"lot-expiry:{lot_id}:{expired}"
        draft = EntryDraft(
            type=TransactionType.EXPIRY,
            amount=-int(free),
            description=f"{format_credits(int(free))} {source} credits expired",
            metadata={
                "lotId": lot_id,
                "source": source,
                "expiresAt": as_utc(expires_at).isoformat(),
            },
            idempotency_key=key,
        )
        move = Move(-int(free), int(free), Takes.LOT, lot_id=lot_id, entry=draft)
        if apply_move(session, wallet_id, move, now) is None:
            raise RuntimeError(f"Lot {lot_id} could not expire: its lots and ledger disagree.")
    return len(due)


# A move answers wallet_id, balance_after, entry_id, lot_id, the alert columns, and (when it
# gives units back to lots) how many lots took them.
ALERT_END = 4 + len(ledger_sql.ALERT_COLUMNS.split(", "))


def apply_move(session: Session, wallet_id: int, move: Move, now: datetime) -> Applied | None:
    """Apply `move` to a wallet the caller has locked; None when a guard refused it.

    This is the single place a balance moves: anything that must happen with every move
    (outbox events, metrics) belongs right after the statement below.
    """
    params = _params(wallet_id, move, now)
    if session.get_bind().dialect.name == "postgresql":
        statement = ledger_sql.postgres_move(
            None if move.takes is Takes.NONE else move.takes.value,
            move.entry is not None,
            bool(params["lot_units"]),
            bool(params["return_lots"]),
        )
        row = session.execute(statement, params).one_or_none()
        moved = tuple(row) if row else None
    else:
        moved = _apply_sqlite(session, move, params)
    if moved is None:
        return None
    _, balance_after, entry_id, lot_id = moved[:4]
    if params["return_lots"] and moved[ALERT_END] != len(params["return_lots"]):
        # Only a refund names lots, those its spend took from this wallet: never reached.
        raise RuntimeError(f"Units for wallet {wallet_id} could not go back to their lots.")
    if move.entry is not None:
        # Alerts are judged here, under the wallet lock (notifications/alerts.py), from the
        # wallet as the move returned it (no second read).
        draft = move.entry
        after_balance_move(
            session,
            BalanceMove(
                wallet_id, entry_id, draft.type, draft.amount, balance_after, draft.spend_units()
            ),
            wallet=WalletAlertState(*moved[4:ALERT_END]),
        )
    return Applied(wallet_id, int(balance_after), entry_id, lot_id, now)


def _apply_sqlite(session: Session, move: Move, params: dict[str, Any]) -> tuple[Any, ...] | None:
    """The fragments of the Postgres statement, one after the other (see ledger_sql)."""
    takes: list[Any] = []
    if move.takes is not Takes.NONE:
        takes = list(session.execute(ledger_sql.sqlite_takes(move.takes.value), params).all())
    params["taken"] = sum(int(take) for _, take, _ in takes)
    moved = session.execute(ledger_sql.SQLITE_MOVE_BALANCE, params).one_or_none()
    if moved is None:
        return None
    entry_id = None
    if move.entry is not None:
        entry_id = session.execute(
            ledger_sql.SQLITE_APPEND_ENTRY, params | {"balance_after": moved.balance}
        ).scalar_one()
    for lot, take, unpin in takes:
        lot_params = params | {"lot": lot, "take": take, "unpin": unpin}
        session.execute(ledger_sql.SQLITE_MOVE_LOT, lot_params)
        if take > 0:
            session.execute(ledger_sql.SQLITE_ALLOCATE, lot_params | {"entry_id": entry_id})
    first_lot = None
    for spec in zip(*(params[name] for name in _LOT_ARRAYS), strict=True):
        lot_id = session.execute(
            ledger_sql.SQLITE_NEW_LOT,
            params | dict(zip(_LOT_FIELDS, spec, strict=True)) | {"entry_id": entry_id},
        ).scalar_one()
        first_lot = first_lot or lot_id
    returned = 0
    for lot_id, units in zip(params["return_lots"], params["return_units"], strict=True):
        back = session.execute(
            ledger_sql.SQLITE_RETURN_TO_LOT, params | {"lot": lot_id, "units": units}
        )
        returned += back.rowcount  # type: ignore[attr-defined]
    alert = tuple(moved)[2:]  # the ALERT_COLUMNS after id, balance
    return (moved.id, moved.balance, entry_id, first_lot, *alert, returned)


_LOT_ARRAYS = (
    "lot_sources",
    "lot_units",
    "lot_expires",
    "lot_priorities",
    "lot_costs",
    "lot_currencies",
)
_LOT_FIELDS = ("source", "units", "expires_at", "priority", "cost_minor", "currency")


def _params(wallet_id: int, move: Move, now: datetime) -> dict[str, Any]:
    """Bind values for the statements in ledger_sql (an entry's fields only when it has one)."""
    draft = move.entry
    lots = draft.new_lots() if draft else ()
    keyed = draft is not None and draft.idempotency_key is not None
    return {
        "wallet_id": wallet_id,
        "amount": move.amount,
        "needed": move.needed,
        "pin": move.pin,
        "release": move.release,
        "pinning": 1 if move.pin else 0,
        "expiring": 1 if draft is not None and draft.type is TransactionType.EXPIRY else 0,
        "prefer_entry": move.prefer_entry,
        "lot_id": move.lot_id,
        "hold_id": move.hold_id,
        "now": now,
        "max_balance": MAX_BALANCE_UNITS,
        "spend": draft.spend_units() if draft else 0,
        "spend_month": month_of(now),
        "type": draft.type.value if draft else None,
        "category": draft.category.value if draft and draft.category else None,
        "description": draft.description if draft else "",
        "metadata": dict(draft.metadata) if draft else {},
        "idempotency_key": draft.idempotency_key if draft else None,
        "request_hash": draft.request_hash() if draft and keyed else None,
        "created_at": now,
        "lot_sources": [lot.source.value for lot in lots],
        "lot_units": [lot.units for lot in lots],
        "lot_expires": [lot.expires_at for lot in lots],
        "lot_priorities": [lot.priority for lot in lots],
        "lot_costs": [lot.cost_minor for lot in lots],
        "lot_currencies": [lot.currency for lot in lots],
        "return_lots": [back.lot_id for back in draft.returns] if draft else [],
        "return_units": [back.units for back in draft.returns] if draft else [],
    }
