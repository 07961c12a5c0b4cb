"""The SQL of the ledger's write path, written out once and compiled once per shape.

Every balance move (`balance_moves.apply_move`) runs under the wallet's row lock, taken first
by `LOCK_WALLET` (Postgres `FOR UPDATE`; SQLite holds its single write lock from BEGIN
IMMEDIATE, see db.py). Only after the lock does the move read the wallet's lots, so it sees
every committed change: a move computed from a snapshot taken before the lock wait could spend
units a concurrent move already took (that is why the lock is its own statement).

A move is then ONE statement on Postgres, a data-modifying CTE that
1. picks the units it needs from candidate lots in the consumption order (`CONSUMPTION_ORDER`,
   DESIGN §3b) with a running sum (`_TAKES`): free lots for a debit or a new hold, one lot for
   an expiry, the units a hold pinned when it settles or is released;
2. moves the wallet (`_MOVE_BALANCE`) under every guard: the lots cover the units
   (`taken = :needed`), the balance stays within [held, max_balance], a spend or a new hold
   stays within the monthly limit (held credits count as spent), a key is used once;
3. appends the ledger row with the balance the move returned, updates the lots it took from,
   records the allocations, creates the lots a credit brings and puts the units a refund
   returns back into the lots they were taken from (`_RETURNS`).
A refund's negative `:spend` lowers the month's spend counter (never below zero) and is never
held against the monthly limit.
SQLite cannot modify inside a CTE, so it runs the same fragments as separate statements, each
after the previous one's result (the takes, then the guarded move, then the rows).
"""

import re
from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    Integer,
    String,
    TextClause,
    TextualSelect,
    bindparam,
    text,
)
from sqlalchemy.types import TypeEngine

from credits_app.models import JsonDocument

# DESIGN §3b: soonest expiry first (never-expiring last), then lower priority, then older, then
# lower id. `preferred` puts a purchase's own lots first for a clawback (0 = preferred).
CONSUMPTION_ORDER = "preferred, expires_at IS NULL, expires_at, priority, created_at, id"

_WALLET_COLUMNS = """
    id, balance, monthly_limit, low_threshold, critical_threshold, spend_month,
    spent_this_month, held,
    CAST((SELECT COALESCE(SUM(due.remaining - due.held), 0) FROM credit_lots AS due
          WHERE due.wallet_id = wallets.id AND due.expires_at <= :now
            AND due.remaining > due.held) AS BIGINT) AS due
"""

# Free units of lots that have not expired: what a debit or a new hold may take.
_FREE_LOTS = """
    SELECT id, remaining - held AS free, 0 AS unpin,
           CASE WHEN entry_id = :prefer_entry THEN 0 ELSE 1 END AS preferred,
           expires_at, priority, created_at
    FROM credit_lots
    WHERE wallet_id = :wallet_id AND remaining > held
      AND (expires_at IS NULL OR expires_at > :now)
"""
# The unheld remainder of one lot: what its expiry takes.
_ONE_LOT = """
    SELECT id, remaining - held AS free, 0 AS unpin, 0 AS preferred,
           expires_at, priority, created_at
    FROM credit_lots
    WHERE id = :lot_id AND wallet_id = :wallet_id AND remaining > held
"""
# The units a hold pinned: a settlement spends from them (expired or not), all are unpinned.
_PINNED = """
    SELECT lots.id, pinned.units AS free, pinned.units AS unpin, 0 AS preferred,
           lots.expires_at, lots.priority, lots.created_at
    FROM credit_allocations AS pinned JOIN credit_lots AS lots ON lots.id = pinned.lot_id
    WHERE pinned.hold_id = :hold_id AND pinned.entry_id IS NULL
"""
CANDIDATES = {"free": _FREE_LOTS, "lot": _ONE_LOT, "pinned": _PINNED}

_TAKES = f"""
    candidates AS ({{candidates}}),
    ranked AS (
        SELECT id, free, unpin,
               SUM(free) OVER (ORDER BY {CONSUMPTION_ORDER} ROWS UNBOUNDED PRECEDING) - free
                   AS before
        FROM candidates
    ),
    moves AS (
        SELECT id, unpin,
               CASE WHEN before >= :needed THEN 0 ELSE {{least}}(free, :needed - before) END
                   AS take
        FROM ranked
    )
"""

# What the alert rules judge a move by (notifications/alerts.py), returned by the move itself.
ALERT_COLUMNS = (
    "owner_kind, owner_id, low_threshold, critical_threshold, monthly_limit, spend_month, "
    "spent_this_month, held AS wallet_held, auto_recharge_below"
)  # `held` renamed: the lots' own `held` is updated FROM moved (an unqualified name there)

_MOVE_BALANCE = """
    UPDATE wallets SET
        balance = balance + :amount,
        held = held + :pin - :release,
        spent_this_month = CASE
            WHEN spend_month = :spend_month AND spent_this_month + :spend > 0
                THEN spent_this_month + :spend
            WHEN spend_month = :spend_month THEN 0
            WHEN spend_month > :spend_month THEN spent_this_month
            WHEN :spend > 0 THEN :spend ELSE 0 END,
        spend_month = CASE WHEN spend_month > :spend_month THEN spend_month ELSE :spend_month END
    WHERE id = :wallet_id
      AND {taken} = :needed
      AND held >= :release
      AND balance + :amount >= held + :pin - :release
      AND balance + :amount <= :max_balance
      AND (:spend + :pin <= 0 OR monthly_limit IS NULL OR :spend + :pin + held - :release + CASE
            WHEN spend_month = :spend_month THEN spent_this_month ELSE 0 END <= monthly_limit)
      AND NOT EXISTS (
          SELECT 1 FROM ledger_entries AS earlier
          WHERE earlier.wallet_id = wallets.id AND earlier.idempotency_key = :idempotency_key
      )
    RETURNING id, balance, {alert_columns}
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

# A pin (a new hold) raises `held`; anything else lowers `remaining`; an expiry also counts.
_LOT_CHANGES = """
    remaining = remaining - (1 - :pinning) * {take},
    held = held + :pinning * {take} - {unpin},
    expired = expired + :expiring * {take}
"""
_LOT_COLUMNS = """
    (wallet_id, source, entry_id, original, remaining, held, expired, expires_at, priority,
     cost_minor, currency, created_at)
"""

# Units a refund gives back to lots of this wallet it names (remaining <= original holds: a
# refund returns only what its spend took from each lot).
_RETURNS = """
    UPDATE credit_lots SET remaining = credit_lots.remaining + back.units
    FROM moved CROSS JOIN unnest(
        CAST(:return_lots AS BIGINT[]), CAST(:return_units AS BIGINT[])
    ) AS back(lot_id, units)
    WHERE credit_lots.id = back.lot_id AND credit_lots.wallet_id = moved.id
    RETURNING credit_lots.id
"""

_BIND_TYPES: dict[str, TypeEngine[Any]] = {
    "metadata": JsonDocument,
    "created_at": DateTime(timezone=True),
    "now": DateTime(timezone=True),
    "expires_at": DateTime(timezone=True),
    "amount": BigInteger(),
    "idempotency_key": String(),
    "spend": BigInteger(),
    "pin": BigInteger(),
    "release": BigInteger(),
    "needed": BigInteger(),
    "taken": BigInteger(),
    "take": BigInteger(),
    "unpin": BigInteger(),
    "pinning": BigInteger(),
    "expiring": BigInteger(),
    "units": BigInteger(),
    "priority": Integer(),
    "spend_month": Date(),
}


def _typed(statement: str) -> TextClause:
    """Bind types that need conversion (JSON, timestamps, 64-bit integers) for those it uses."""
    used = [name for name in _BIND_TYPES if re.search(rf":{name}\b", statement)]
    return text(statement).bindparams(*(bindparam(n, type_=_BIND_TYPES[n]) for n in used))


_READ_WALLET = (
    f"SELECT {_WALLET_COLUMNS} FROM wallets WHERE owner_kind = :owner_kind AND owner_id = :owner_id"
)
# Typed result columns: SQLite hands back dates and timestamps as text otherwise.
LOCK_WALLET = _typed(_READ_WALLET + " FOR UPDATE").columns(spend_month=Date())
READ_WALLET = _typed(_READ_WALLET).columns(spend_month=Date())  # SQLite: BEGIN IMMEDIATE locks

# A balance overview in one statement: the wallet (as READ_WALLET) and each of its live lots in
# consumption order (no lot: one row of NULLs), read without a transaction (db.read_only).
WALLET_WITH_LOTS = _typed(
    f"""
    SELECT {
        _WALLET_COLUMNS.replace("id, balance", "wallets.id, balance", 1).replace(
            "spent_this_month, held,", "spent_this_month, wallets.held,", 1
        )
    },
           lot.id AS lot_id, lot.source, lot.original, lot.remaining, lot.held AS lot_held,
           lot.expires_at, lot.priority, lot.created_at
    FROM wallets LEFT JOIN credit_lots AS lot
      ON lot.wallet_id = wallets.id AND lot.remaining > 0
         AND (lot.expires_at IS NULL OR lot.expires_at > :now)
    WHERE wallets.owner_kind = :owner_kind AND wallets.owner_id = :owner_id
    ORDER BY lot.expires_at IS NULL, lot.expires_at, lot.priority, lot.created_at, lot.id
    """
).columns(
    spend_month=Date(),
    expires_at=DateTime(timezone=True),
    created_at=DateTime(timezone=True),
)

LOCK_WALLET_BY_ID = text("SELECT id FROM wallets WHERE id = :wallet_id FOR UPDATE")

DUE_LOTS = _typed(
    """
    SELECT id, remaining - held AS free, expired, source, expires_at FROM credit_lots
    WHERE wallet_id = :wallet_id AND expires_at <= :now AND remaining > held
    ORDER BY expires_at, id
    """
).columns(expires_at=DateTime(timezone=True))


@cache
def postgres_move(
    candidates: str | None, entry: bool, new_lots: bool, returns: bool = False
) -> TextualSelect:
    """The whole move as one statement, for a shape: candidate lots, an entry, new lots, lots
    given units back (that shape answers a fifth column: how many lots took units back)."""
    parts = [_TAKES.format(candidates=CANDIDATES[candidates], least="LEAST")] if candidates else []
    taken = "(SELECT COALESCE(SUM(take), 0) FROM moves)" if candidates else "0"
    parts.append(f"moved AS ({_MOVE_BALANCE.format(taken=taken, alert_columns=ALERT_COLUMNS)})")
    if entry:
        values = _ENTRY_VALUES.format(
            balance_after="moved.balance", metadata="CAST(:metadata AS JSONB)"
        )
        parts.append(
            f"appended AS (INSERT INTO ledger_entries {_ENTRY_COLUMNS} "
            f"SELECT moved.id, {values} FROM moved RETURNING id)"
        )
    if candidates:
        changes = _LOT_CHANGES.format(take="moves.take", unpin="moves.unpin")
        parts.append(
            f"lots_moved AS (UPDATE credit_lots SET {changes} FROM moves, moved "
            "WHERE credit_lots.id = moves.id AND (moves.take > 0 OR moves.unpin > 0) "
            "RETURNING credit_lots.id)"
        )
        source = "appended" if entry else "moved"
        entry_id = "appended.id" if entry else "NULL"
        parts.append(
            "allocated AS (INSERT INTO credit_allocations (entry_id, hold_id, lot_id, units) "
            f"SELECT {entry_id}, CAST(:hold_id AS BIGINT), moves.id, moves.take "
            f"FROM moves CROSS JOIN {source} WHERE moves.take > 0)"
        )
    if new_lots:
        parts.append(
            f"""new_lots AS (
            INSERT INTO credit_lots {_LOT_COLUMNS}
            SELECT moved.id, spec.source, appended.id, spec.units, spec.units, 0, 0,
                   spec.expires_at, spec.priority, spec.cost_minor, spec.currency, :created_at
            FROM moved CROSS JOIN appended CROSS JOIN unnest(
                CAST(:lot_sources AS VARCHAR[]), CAST(:lot_units AS BIGINT[]),
                CAST(:lot_expires AS TIMESTAMPTZ[]), CAST(:lot_priorities AS INTEGER[]),
                CAST(:lot_costs AS BIGINT[]), CAST(:lot_currencies AS VARCHAR[])
            ) WITH ORDINALITY AS spec(source, units, expires_at, priority, cost_minor, currency, n)
            ORDER BY spec.n
            RETURNING id)"""
        )
    if returns:
        parts.append(f"returned AS ({_RETURNS})")
    entry_id = "appended.id" if entry else "NULL"
    lot_id = "(SELECT MIN(id) FROM new_lots)" if new_lots else "NULL"
    returned = ", (SELECT COUNT(*) FROM returned) AS returned_lots" if returns else ""
    join = "LEFT JOIN appended ON TRUE" if entry else ""
    alert = ", ".join(f"moved.{name.split(' AS ')[-1]}" for name in ALERT_COLUMNS.split(", "))
    return _typed(
        f"WITH {', '.join(parts)} SELECT moved.id AS wallet_id, moved.balance AS balance_after, "
        f"{entry_id} AS entry_id, {lot_id} AS lot_id, {alert}{returned} FROM moved {join}"
    ).columns(spend_month=Date())


@cache
def sqlite_takes(candidates: str) -> TextClause:
    """The units a move takes from each lot (SQLite runs this before the guarded move)."""
    takes = _TAKES.format(candidates=CANDIDATES[candidates], least="MIN")
    return _typed(f"WITH {takes} SELECT id, take, unpin FROM moves WHERE take > 0 OR unpin > 0")


SQLITE_MOVE_BALANCE = _typed(
    _MOVE_BALANCE.format(taken=":taken", alert_columns=ALERT_COLUMNS)
).columns(spend_month=Date())
SQLITE_APPEND_ENTRY = _typed(
    f"INSERT INTO ledger_entries {_ENTRY_COLUMNS} VALUES (:wallet_id, "
    + _ENTRY_VALUES.format(balance_after=":balance_after", metadata=":metadata")
    + ") RETURNING id"
)
SQLITE_MOVE_LOT = _typed(
    f"UPDATE credit_lots SET {_LOT_CHANGES.format(take=':take', unpin=':unpin')} WHERE id = :lot"
)
SQLITE_ALLOCATE = _typed(
    "INSERT INTO credit_allocations (entry_id, hold_id, lot_id, units) "
    "VALUES (:entry_id, :hold_id, :lot, :take)"
)
SQLITE_NEW_LOT = _typed(
    f"INSERT INTO credit_lots {_LOT_COLUMNS} VALUES (:wallet_id, :source, :entry_id, :units, "
    ":units, 0, 0, :expires_at, :priority, :cost_minor, :currency, :created_at) RETURNING id"
)
SQLITE_RETURN_TO_LOT = _typed(
    "UPDATE credit_lots SET remaining = remaining + :units "
    "WHERE id = :lot AND wallet_id = :wallet_id"
)
