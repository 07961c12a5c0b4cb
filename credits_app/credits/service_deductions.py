"""Spending and granting on behalf of other platform services (marketplace, premium features,
subscriptions; signup bonuses, referrals, goodwill).

Their idempotency keys live in a namespace of their own (`service:`), so they cannot collide
with keys the app itself uses, and a key is bound to one wallet: reusing it for another wallet
is a conflict, like any other change of request under the same key (the ledger's own key
check covers the same wallet).

The key is claimed by the deduction's own statement: service keys are unique across wallets in
the schema (`uq_ledger_entries_service_key`), so the insert of the ledger row is the claim. A
deduction is then the wallet lock and the one move statement, then the commit: no advisory lock
and no key query first. A concurrent request with the key on another wallet waits for the
first one's commit and then fails its insert (409); one on the same wallet waits for the wallet
lock and then replays the original. Only a refused deduction asks whether another wallet holds
the key (so a reused key is a 409, not a 402).
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from credits_app.credits.amounts import AmountInput, Units, parse_credits
from credits_app.credits.categories import LotSource
from credits_app.credits.credit_service import CreditResult, deduct, grant
from credits_app.credits.drafts import DEFAULT_PRIORITY, NewLot
from credits_app.credits.errors import CreditsError, IdempotencyConflict, InvalidArgument
from credits_app.credits.wallet_service import WalletOwner, entries, wallets
from credits_app.db import unit_of_work, violates

SERVICE_KEY_PREFIX = "service:"


def deduct_for_service(
    owner: WalletOwner,
    amount: AmountInput,
    *,
    category: str,
    description: str = "",
    metadata: Mapping[str, Any] | None = None,
    idempotency_key: str | None = None,
) -> CreditResult:
    """Deduct from exactly the named wallet (no fallback); a replayed key gives the original."""
    key = SERVICE_KEY_PREFIX + idempotency_key if idempotency_key is not None else None
    try:
        with unit_of_work() as db:
            try:
                return deduct(
                    owner,
                    amount,
                    category=category,
                    description=description,
                    metadata=metadata,
                    idempotency_key=key,
                    session=db,
                )
            except IdempotencyConflict:
                raise _conflict_in_callers_terms(idempotency_key) from None
            except CreditsError:
                if key is not None:  # refused: a key of another wallet is a conflict instead
                    _refuse_key_of_another_wallet(db, owner, key, lock=False)
                raise
    except IntegrityError as error:
        if key is not None and _is_service_key_claim(error):
            raise _conflict_in_callers_terms(idempotency_key) from None
        raise


def grant_for_service(
    owner: WalletOwner,
    amount: AmountInput,
    *,
    reason: str,
    source: str = LotSource.GRANT,
    expires_at: datetime | None = None,
    priority: int = DEFAULT_PRIORITY,
    metadata: Mapping[str, Any] | None = None,
    idempotency_key: str | None = None,
) -> CreditResult:
    """Grant credits as one lot (`grant` or `promotion`, optional expiry and priority) to
    exactly the named wallet; a replayed key gives the original, a past expiry is refused."""
    lot_source = LotSource(source)
    if lot_source not in (LotSource.GRANT, LotSource.PROMOTION):
        raise InvalidArgument("source must be grant or promotion.", field="source")
    units = parse_credits(amount)
    key = SERVICE_KEY_PREFIX + idempotency_key if idempotency_key is not None else None
    with unit_of_work() as db:
        if key is not None:
            _refuse_key_of_another_wallet(db, owner, key, lock=True)
        try:
            return grant(
                owner,
                Units(units),
                description=reason,
                metadata=dict(metadata or {}) | {"reason": reason},
                idempotency_key=key,
                lots=(NewLot(units, lot_source, expires_at, priority),),
                session=db,
            )
        except IdempotencyConflict:
            raise _conflict_in_callers_terms(idempotency_key) from None


def _conflict_in_callers_terms(idempotency_key: str | None) -> IdempotencyConflict:
    """The ledger's conflict names the stored key (`service:<key>`); the caller must see the
    key it sent, exactly as the cross-wallet conflict above reports it, and never our prefix."""
    assert idempotency_key is not None  # only a keyed request can conflict
    return IdempotencyConflict(idempotency_key)


def _is_service_key_claim(error: IntegrityError) -> bool:
    """The insert failed on `uq_ledger_entries_service_key`: another wallet has the key."""
    return violates(
        error, "uq_ledger_entries_service_key", sqlite_columns="ledger_entries.idempotency_key"
    )


def _refuse_key_of_another_wallet(db: Session, owner: WalletOwner, key: str, *, lock: bool) -> None:
    """Whether another wallet holds the key. Before a grant (`lock`), check-then-post must not
    race: Postgres serializes one key's requests with an advisory lock held to commit (SQLite
    holds its write lock from BEGIN IMMEDIATE); the unique index is the last word anyway."""
    if lock and db.get_bind().dialect.name == "postgresql":
        db.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})
    used_by = db.execute(
        select(wallets.c.owner_kind, wallets.c.owner_id)
        .join(entries, entries.c.wallet_id == wallets.c.id)
        .where(entries.c.idempotency_key == key)
        .limit(1)
    ).one_or_none()
    if used_by is not None and tuple(used_by) != (owner.kind.value, owner.id):
        raise IdempotencyConflict(key.removeprefix(SERVICE_KEY_PREFIX))
