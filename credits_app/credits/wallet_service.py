"""Low-level wallet storage: open a wallet, move its balance and append the ledger row atomically.

The balance move is a conditional UPDATE (`... WHERE balance + :amount BETWEEN 0 AND max`),
which checks and moves in one statement and holds the wallet's row lock until commit, so
concurrent writers queue on the row and none can overdraw it or lose an update. The ledger
row is inserted in the same transaction with the balance the UPDATE returned; on Postgres
both happen in a single statement (the SQL lives in `ledger_sql.py`).
"""

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, cast

from sqlalchemy import Row, Select, Table, and_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from credits_app.clock import utcnow
from credits_app.credits import ledger_sql
from credits_app.credits.ai_usage_metadata import validate_ai_metadata
from credits_app.credits.amounts import MAX_BALANCE_UNITS, units_to_credits
from credits_app.credits.categories import (
    CreditUsageCategory,
    OwnerKind,
    TransactionType,
)
from credits_app.credits.errors import (
    BalanceLimitExceeded,
    CreditsError,
    IdempotencyConflict,
    InsufficientCredits,
    InvalidArgument,
    MonthlyLimitReached,
    WalletNotFound,
)
from credits_app.credits.hold_expiry import release_expired_holds
from credits_app.credits.owners import WalletOwner as WalletOwner
from credits_app.models import LedgerEntry, Organization, User, Wallet
from credits_app.notifications.alerts import BalanceMove, after_balance_move

wallets = cast(Table, Wallet.__table__)  # type: ignore[attr-defined]
entries = cast(Table, LedgerEntry.__table__)  # type: ignore[attr-defined]

MAX_DESCRIPTION_LENGTH = 500
MAX_METADATA_BYTES = 16_384
MAX_IDEMPOTENCY_KEY_LENGTH = 255


@dataclass(frozen=True)
class EntryDraft:
    """A ledger entry about to be posted; validated on creation so nothing invalid reaches SQL."""

    type: TransactionType
    amount: int  # signed units: > 0 credits the wallet, < 0 debits it
    category: CreditUsageCategory | None = None
    description: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict)
    idempotency_key: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.metadata, Mapping):
            raise InvalidArgument("Metadata must be a JSON object.")
        if self.amount == 0:
            raise InvalidArgument("A ledger entry cannot move zero credits.")
        if len(self.description) > MAX_DESCRIPTION_LENGTH:
            raise InvalidArgument(
                f"Description must be at most {MAX_DESCRIPTION_LENGTH} characters."
            )
        if self.idempotency_key is not None and not (
            0 < len(self.idempotency_key) <= MAX_IDEMPOTENCY_KEY_LENGTH
        ):
            raise InvalidArgument(
                f"Idempotency key must be 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} characters."
            )
        if len(_canonical_json(self.metadata)) > MAX_METADATA_BYTES:
            raise InvalidArgument(f"Metadata must be at most {MAX_METADATA_BYTES} bytes of JSON.")
        if self.category is CreditUsageCategory.AI_USAGE:  # AI keys mean nothing elsewhere
            validate_ai_metadata(self.metadata)

    def spend_units(self) -> int:
        """Units this entry spends against the monthly limit: usage counts, other debits don't."""
        return -self.amount if self.type is TransactionType.USAGE else 0

    def request_hash(self) -> str:
        """Fingerprint of what was asked, so a replayed key can be told from a reused one."""
        request = {
            "type": self.type.value,
            "amount": self.amount,
            "category": self.category.value if self.category else None,
            "description": self.description,
            "metadata": self.metadata,
        }
        return hashlib.sha256(_canonical_json(request).encode()).hexdigest()


@dataclass(frozen=True)
class PostedEntry:
    """The outcome of posting: the ledger row and the wallet balance right after it."""

    id: int
    wallet_id: int
    amount: int
    balance_after: int
    created_at: datetime
    replayed: bool = False


@dataclass(frozen=True)
class WalletState:
    """A wallet's stored balance and spending settings, in units."""

    id: int
    balance: int
    monthly_limit: int | None
    low_threshold: int | None
    critical_threshold: int | None
    spend_month: date | None
    spent_this_month: int
    held: int

    @property
    def available(self) -> int:
        """What can be spent now: the balance minus credits reserved by in-flight requests."""
        return self.balance - self.held

    def spent_in(self, month: date) -> int:
        """Usage units spent in the UTC month starting on `month` (0 once a new month began)."""
        return self.spent_this_month if self.spend_month == month else 0


def month_of(moment: datetime) -> date:
    """The first day of the UTC calendar month of `moment`: the monthly limit's period."""
    return as_utc(moment).date().replace(day=1)


def find_wallet(session: Session, owner: WalletOwner) -> WalletState | None:
    """The owner's wallet, or None when it has none."""
    row = session.execute(
        select(
            wallets.c.id,
            wallets.c.balance,
            wallets.c.monthly_limit,
            wallets.c.low_threshold,
            wallets.c.critical_threshold,
            wallets.c.spend_month,
            wallets.c.spent_this_month,
            wallets.c.held,
        ).where(_owned_by(owner))
    ).one_or_none()
    return WalletState(*row) if row else None


def require_wallet(session: Session, owner: WalletOwner) -> WalletState:
    """The owner's wallet, or `WalletNotFound`."""
    wallet = find_wallet(session, owner)
    if wallet is None:
        raise WalletNotFound(owner.kind.value, owner.id)
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
    session: Session, owner: WalletOwner, draft: EntryDraft, *, release: int = 0
) -> PostedEntry:
    """Move the balance by `draft.amount` and append its ledger row, exactly once per key.

    `release` returns that many held units in the same statement (settling a credit hold).
    """
    created_at = utcnow()
    params = _entry_params(owner, draft, created_at) | {"release": release}
    if session.get_bind().dialect.name == "postgresql":
        row = session.execute(ledger_sql.POSTGRES_POST_ENTRY, params).one_or_none()
        moved = tuple(row) if row else None
    else:
        moved = _post_entry_sqlite(session, params)
    if moved is None and draft.amount < 0 and _freed_expired_holds(session, owner):
        return post_entry(session, owner, draft, release=release)
    if moved is None:
        return _explain_refusal(session, owner, draft)
    wallet_id, balance_after, entry_id = moved
    if entry_id is not None:
        # Alerts are judged here, under the row lock the move took (notifications/alerts.py).
        after_balance_move(
            session,
            BalanceMove(
                wallet_id, entry_id, draft.type, draft.amount, balance_after, draft.spend_units()
            ),
        )
        return PostedEntry(entry_id, wallet_id, draft.amount, balance_after, created_at)
    # A concurrent request with the same key committed while we waited for the row lock.
    # We still hold the lock: undo our move inside this transaction and replay theirs.
    session.execute(ledger_sql.UNDO_MOVE, params | {"wallet_id": wallet_id})
    return _explain_refusal(session, owner, draft)


def _freed_expired_holds(session: Session, owner: WalletOwner) -> bool:
    """A refused debit first frees holds whose request died (rare: only on refusal)."""
    wallet = find_wallet(session, owner)
    return wallet is not None and wallet.held > 0 and release_expired_holds(session, wallet.id) > 0


def _post_entry_sqlite(session: Session, params: dict[str, Any]) -> tuple[Any, ...] | None:
    """SQLite's two statements for what Postgres does in one (see ledger_sql)."""
    moved = session.execute(ledger_sql.SQLITE_MOVE_BALANCE, params).one_or_none()
    if moved is None:
        return None
    wallet_id, balance_after = moved
    entry_id = session.execute(
        ledger_sql.SQLITE_APPEND_ENTRY,
        params | {"wallet_id": wallet_id, "balance_after": balance_after},
    ).scalar_one_or_none()
    return wallet_id, balance_after, entry_id


def _entry_params(owner: WalletOwner, draft: EntryDraft, created_at: datetime) -> dict[str, Any]:
    """Bind values shared by the statements in ledger_sql."""
    keyed = draft.idempotency_key is not None
    return {
        "owner_kind": owner.kind.value,
        "owner_id": owner.id,
        "amount": draft.amount,
        "max_balance": MAX_BALANCE_UNITS,
        "spend": draft.spend_units(),
        "spend_month": month_of(created_at),
        "type": draft.type.value,
        "category": draft.category.value if draft.category else None,
        "description": draft.description,
        "metadata": dict(draft.metadata),
        "idempotency_key": draft.idempotency_key,
        "request_hash": draft.request_hash() if keyed else None,
        "created_at": created_at,
    }


def _explain_refusal(session: Session, owner: WalletOwner, draft: EntryDraft) -> PostedEntry:
    """Nothing was posted: replay the entry that holds the key, or raise the precise error."""
    if draft.idempotency_key is not None:
        earlier = _find_keyed_entry(session, owner, draft.idempotency_key)
        if earlier is not None:
            return _replay(earlier, draft)
    wallet = require_wallet(session, owner)
    if draft.amount > 0:
        raise BalanceLimitExceeded(
            "This credit would exceed the largest balance a wallet can hold."
        )
    raise debit_refusal(wallet, -draft.amount, spend=draft.spend_units())


def debit_refusal(wallet: WalletState, units: int, *, spend: int) -> CreditsError:
    """Why a debit of `units` (of which `spend` counts toward the monthly limit) was refused.

    The balance may have moved since the guarded UPDATE refused it: judge by the limit, else it
    was the balance (a concurrent top-up must not turn a refusal into a different error). Only
    a spend can hit the limit (the UPDATE skips the check when `:spend = 0`), so a non-usage
    debit is never blamed on it. Held credits count as spent, as they do in the check.
    """
    reserved = wallet.spent_in(month_of(utcnow())) + wallet.held
    if spend > 0 and wallet.monthly_limit is not None and reserved + spend > wallet.monthly_limit:
        return MonthlyLimitReached(
            required=units_to_credits(units),
            monthly_limit=units_to_credits(wallet.monthly_limit),
            used_this_month=units_to_credits(reserved),
        )
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


def _replay(earlier: Row[Any], draft: EntryDraft) -> PostedEntry:
    if earlier.request_hash != draft.request_hash():
        assert draft.idempotency_key is not None
        raise IdempotencyConflict(draft.idempotency_key)
    return PostedEntry(
        earlier.id,
        earlier.wallet_id,
        earlier.amount,
        earlier.balance_after,
        as_utc(earlier.created_at),
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


def _canonical_json(value: Any) -> str:
    try:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError):
        raise InvalidArgument("Metadata must be a JSON object of plain values.") from None


def as_utc(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; every timestamp we store is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
