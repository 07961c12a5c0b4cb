"""The SQL of the ledger's write path, written out once and compiled once.

Posting an entry is a guarded check-and-move of the wallet balance plus the ledger row that
records it, in the same transaction:
- Postgres does both in ONE statement: a data-modifying CTE moves the balance (taking the
  wallet's row lock until commit) and inserts the entry with the balance it returned. One round
  trip keeps the lock short, which is what bounds throughput on a hot wallet (bench/README.md).
- SQLite cannot UPDATE inside a CTE, so it runs the same UPDATE, then the INSERT. SQLite admits
  one writer at a time (BEGIN IMMEDIATE, see db.py), so nothing can slip in between.

Guards, identical on both: the balance stays within [held, max_balance], so credits reserved
by in-flight requests (`held`, see credit_holds.py) cannot be spent by anyone else; `:release`
returns a reservation in the same move that settles it; a spend (`:spend`, the
units a usage entry takes) keeps the month's spending within the wallet's monthly limit, counted
in `spent_this_month` for the UTC month `spend_month` (a new month starts from zero; a
backdated entry never moves the month back); a keyed request moves
nothing when its key is already in the ledger (the caller then replays it); a concurrent
duplicate that gets past that check is stopped by the unique (wallet_id, idempotency_key)
constraint, and `entry_id` comes back NULL so the caller can undo the move.
"""

from typing import Any

from sqlalchemy import BigInteger, Date, DateTime, String, TextClause, bindparam, text
from sqlalchemy.types import TypeEngine

from credits_app.models import JsonDocument

_MOVE_BALANCE = """
    UPDATE wallets SET
        balance = balance + :amount,
        held = held - :release,
        spent_this_month = CASE
            WHEN spend_month = :spend_month THEN spent_this_month + :spend
            WHEN spend_month > :spend_month THEN spent_this_month
            ELSE :spend END,
        spend_month = CASE WHEN spend_month > :spend_month THEN spend_month ELSE :spend_month END
    WHERE owner_kind = :owner_kind AND owner_id = :owner_id
      AND held >= :release
      AND balance + :amount >= held - :release
      AND balance + :amount <= :max_balance
      AND (:spend = 0 OR monthly_limit IS NULL OR :spend + held - :release + CASE
            WHEN spend_month = :spend_month THEN spent_this_month ELSE 0 END <= monthly_limit)
      AND NOT EXISTS (
          SELECT 1 FROM ledger_entries AS earlier
          WHERE earlier.wallet_id = wallets.id AND earlier.idempotency_key = :idempotency_key
      )
    RETURNING id, balance
"""

_ENTRY_COLUMNS = """
    (wallet_id, type, category, amount, balance_after, description, metadata,
     idempotency_key, request_hash, created_at)
"""

_ENTRY_VALUES = """
    CAST(:type AS VARCHAR), CAST(:category AS VARCHAR), CAST(:amount AS BIGINT),
    {balance_after}, CAST(:description AS VARCHAR), {metadata},
    CAST(:idempotency_key AS VARCHAR), CAST(:request_hash AS VARCHAR), :created_at
"""

_POSTGRES_ENTRY_VALUES = _ENTRY_VALUES.format(
    balance_after="moved.balance", metadata="CAST(:metadata AS JSONB)"
)
_SQLITE_ENTRY_VALUES = _ENTRY_VALUES.format(balance_after=":balance_after", metadata=":metadata")

_ON_KEY_CONFLICT = "ON CONFLICT (wallet_id, idempotency_key) DO NOTHING RETURNING id"


_BIND_TYPES: dict[str, TypeEngine[Any]] = {
    "metadata": JsonDocument,
    "created_at": DateTime(timezone=True),
    "amount": BigInteger(),
    "idempotency_key": String(),
    "spend": BigInteger(),
    "release": BigInteger(),
    "spend_month": Date(),
}


def _typed(statement: str) -> TextClause:
    """Bind types that need conversion (JSON, timestamps, 64-bit integers) for those it uses."""
    used = [name for name in _BIND_TYPES if f":{name}" in statement]
    return text(statement).bindparams(*(bindparam(n, type_=_BIND_TYPES[n]) for n in used))


POSTGRES_POST_ENTRY = _typed(
    f"""
    WITH moved AS ({_MOVE_BALANCE}),
    appended AS (
        INSERT INTO ledger_entries {_ENTRY_COLUMNS}
        SELECT moved.id, {_POSTGRES_ENTRY_VALUES}
        FROM moved
        {_ON_KEY_CONFLICT}
    )
    SELECT moved.id AS wallet_id, moved.balance AS balance_after, appended.id AS entry_id
    FROM moved LEFT JOIN appended ON TRUE
    """
)

SQLITE_MOVE_BALANCE = _typed(_MOVE_BALANCE)

SQLITE_APPEND_ENTRY = _typed(
    f"""
    INSERT INTO ledger_entries {_ENTRY_COLUMNS}
    VALUES (:wallet_id, {_SQLITE_ENTRY_VALUES})
    {_ON_KEY_CONFLICT}
    """
)

UNDO_MOVE = _typed(
    """
    UPDATE wallets SET
        balance = balance - :amount,
        held = held + :release,
        spent_this_month = spent_this_month
            - CASE WHEN spend_month = :spend_month THEN :spend ELSE 0 END
    WHERE id = :wallet_id
    """
)
