"""Moving credits between two wallets, explicitly and audited (DESIGN §3b, lots preserved).

One transfer is one transaction: both wallets are locked in id order (so an A→B racing a B→A
queues instead of deadlocking), the sender's lots are debited in the consumption order in one
`transfer_out` entry, and the receiver gets one lot per lot taken, with the same expiry,
priority and cost basis, in one `transfer_in` entry. Both entries carry the `transferId` and
the counterparty. The sender is debited *before* anything is credited and under its lock, so
racing transfers can never each pay out the full amount.

Who may move what is decided here (the doors only say who is asking):
- a user's personal wallet → any other user (by email), or an org the user belongs to;
- an org wallet (owners and admins only) → one of its members, or another org in which the
  caller is an owner or admin.
An operator (the CLI, `actor=None`) may move between any two wallets; the entries record it.
Transfers are not usage: they never count toward the monthly spend limit.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, select, update
from sqlmodel import Session

from credits_app.auth.accounts import find_user_by_email
from credits_app.auth.organizations import MANAGER_ROLES, require_manager
from credits_app.clock import as_utc, utcnow
from credits_app.credits.amounts import AmountInput, format_credits, parse_credits, units_to_credits
from credits_app.credits.balance_moves import Move, apply_move
from credits_app.credits.categories import (
    CreditUsageCategory,
    LotSource,
    OwnerKind,
    TransactionType,
)
from credits_app.credits.drafts import NewLot, request_fingerprint
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
    find_wallet,
    lock_wallet,
    lots,
    open_wallet,
    post_entry,
    wallets,
)
from credits_app.db import unit_of_work
from credits_app.models import CreditTransfer, Membership, Organization, User

transfers = cast(Table, CreditTransfer.__table__)  # type: ignore[attr-defined]
MAX_NOTE_LENGTH = 500
KEY_PREFIX = "transfer:"


class SelfTransfer(CreditsError):
    """The sender and the recipient are the same wallet."""

    code = "self_transfer"

    def __init__(self) -> None:
        super().__init__("A wallet cannot send credits to itself.")


class RecipientNotFound(CreditsError):
    """No such recipient, or one this sender may not send to (never says which)."""

    code = "recipient_not_found"

    def __init__(self, message: str = "No recipient you can send credits to was found.") -> None:
        super().__init__(message)


@dataclass(frozen=True)
class Recipient:
    """Who receives: a user by email or id, or an org by id (as the client named it)."""

    kind: OwnerKind
    id: int | None = None
    email: str | None = None

    def fingerprint(self) -> list[Any]:
        return [self.kind.value, self.id, (self.email or "").strip().lower() or None]


@dataclass(frozen=True)
class TransferResult:
    """What a transfer did; `new_balance` is the sender's balance right after it."""

    transfer_id: int
    amount: Decimal
    source: WalletOwner
    target: WalletOwner
    new_balance: Decimal
    out_entry_id: int
    in_entry_id: int
    replayed: bool = False


@dataclass(frozen=True)
class _Party:
    """A resolved wallet owner and how the other side's ledger names it."""

    owner: WalletOwner
    label: dict[str, Any]  # counterparty metadata as the *other* side sees this party


def transfer(
    actor_user_id: int | None,
    source: WalletOwner,
    to: Recipient,
    amount: AmountInput,
    *,
    note: str | None = None,
    idempotency_key: str | None = None,
    operator: str | None = None,
) -> TransferResult:
    """Move `amount` from `source` to the recipient, lots preserved; all or nothing.

    `actor_user_id` is the signed-in caller (authorization checked here), or None for an
    operator. Raises `InsufficientCredits` (402), `SelfTransfer`, `RecipientNotFound`,
    `Forbidden`/`OrgNotFound` for the source, `InvalidAmount`, `IdempotencyConflict`.
    """
    units = parse_credits(amount)
    note = _clean_note(note)
    request_hash = _request_hash(source, to, units, note)
    with unit_of_work() as db:
        sender = _authorize_source(db, actor_user_id, source)
        receiver = _resolve_recipient(db, actor_user_id, source, to)
        if receiver.owner == source:
            raise SelfTransfer()
        source_wallet = find_wallet(db, source)
        source_id = source_wallet.id if source_wallet else open_wallet(db, source)
        target_wallet = find_wallet(db, receiver.owner)
        target_id = target_wallet.id if target_wallet else open_wallet(db, receiver.owner)
        # Both locks, in wallet id order: opposite transfers queue instead of deadlocking.
        for _, owner in sorted([(source_id, source), (target_id, receiver.owner)]):
            lock_wallet(db, owner)
        if idempotency_key is not None:
            earlier = _earlier_transfer(db, source_id, idempotency_key, request_hash)
            if earlier is not None:
                return earlier
        return _move(
            db,
            sender,
            receiver,
            units,
            ids=(source_id, target_id),
            note=note,
            extra={"operator": operator} if operator else {},
            keyed=(idempotency_key, request_hash),
            actor=actor_user_id,
        )


def _move(
    db: Session,
    sender: _Party,
    receiver: _Party,
    units: int,
    *,
    ids: tuple[int, int],
    note: str | None,
    extra: dict[str, Any],
    keyed: tuple[str | None, str],
    actor: int | None,
) -> TransferResult:
    """Under both locks: record the transfer, debit the sender's lots, credit mirror lots."""
    source_id, target_id = ids
    key, request_hash = keyed
    now = utcnow()
    transfer_id = db.execute(
        transfers.insert()
        .values(
            from_wallet_id=source_id,
            to_wallet_id=target_id,
            amount=units,
            actor_user_id=actor,
            operator=extra.get("operator"),
            note=note,
            idempotency_key=key,
            request_hash=request_hash if key is not None else None,
            created_at=now,
        )
        .returning(transfers.c.id)
    ).scalar_one()
    common = {"transferId": transfer_id} | ({"note": note} if note else {}) | extra
    out = post_entry(
        db,
        sender.owner,
        EntryDraft(
            type=TransactionType.TRANSFER_OUT,
            amount=-units,
            category=CreditUsageCategory.TRANSFER,
            description=f"Sent {format_credits(units)} credits to {receiver.label['name']}",
            metadata=common | {"counterparty": receiver.label},
            idempotency_key=f"{KEY_PREFIX}{transfer_id}",
        ),
    )
    incoming = EntryDraft(
        type=TransactionType.TRANSFER_IN,
        amount=units,
        category=CreditUsageCategory.TRANSFER,
        description=f"Received {format_credits(units)} credits from {sender.label['name']}",
        metadata=common | {"counterparty": sender.label},
        idempotency_key=f"{KEY_PREFIX}{transfer_id}",
        lots=_mirror_lots(db, out.id),
    )
    credited = apply_move(db, target_id, Move(units, entry=incoming), utcnow())
    if credited is None or credited.entry_id is None:
        raise BalanceLimitExceeded(
            "The recipient's wallet cannot hold this many credits.", recipient=receiver.label
        )
    db.execute(
        update(transfers)
        .where(transfers.c.id == transfer_id)
        .values(out_entry_id=out.id, in_entry_id=credited.entry_id)
    )
    return TransferResult(
        transfer_id,
        units_to_credits(units),
        sender.owner,
        receiver.owner,
        units_to_credits(out.balance_after),
        out.id,
        credited.entry_id,
    )


def _mirror_lots(db: Session, out_entry_id: int) -> tuple[NewLot, ...]:
    """One receiver lot per lot the debit took: same expiry, priority and cost basis (the cost
    of the units moved, pro rata of what the source lot cost, rounded down)."""
    rows = db.execute(
        select(
            allocations.c.units,
            lots.c.original,
            lots.c.expires_at,
            lots.c.priority,
            lots.c.cost_minor,
            lots.c.currency,
        )
        .join(lots, lots.c.id == allocations.c.lot_id)
        .where(allocations.c.entry_id == out_entry_id)
        .order_by(allocations.c.id)
    ).all()
    return tuple(
        NewLot(
            int(row.units),
            LotSource.TRANSFER,
            expires_at=_aware(row.expires_at),
            priority=row.priority,
            cost_minor=None
            if row.cost_minor is None
            else row.cost_minor * row.units // row.original,
            currency=row.currency,
        )
        for row in rows
    )


def _aware(moment: datetime | None) -> datetime | None:
    return as_utc(moment) if moment is not None else None


def _authorize_source(db: Session, actor: int | None, source: WalletOwner) -> _Party:
    """The sender, if the actor may move its credits: their own wallet, or an org they manage."""
    if source.kind is OwnerKind.USER:
        if actor is not None and actor != source.id:
            raise InvalidArgument("You can only send from your own personal wallet.")
        user = db.get(User, source.id)
        if user is None:
            raise RecipientNotFound("No such sender.")
        return _Party(source, {"type": "user", "id": user.id, "name": user.name})
    if actor is not None:
        require_manager(actor, source.id, session=db)
    org = db.get(Organization, source.id)
    if org is None:
        raise RecipientNotFound("No such sending organization.")
    return _Party(source, {"type": "org", "id": org.id, "name": org.name})


def _resolve_recipient(
    db: Session, actor: int | None, source: WalletOwner, to: Recipient
) -> _Party:
    """The recipient, if this sender may send to it; else `RecipientNotFound` (never saying
    whether the user or org exists when the sender may not reach it)."""
    if to.kind is OwnerKind.USER:
        user = _recipient_user(db, to)
        if user is None or user.id is None:
            raise RecipientNotFound()
        outside = actor is not None and source.kind is OwnerKind.ORG
        if outside and _role(db, user.id, source.id) is None:
            raise RecipientNotFound("The recipient is not a member of this organization.")
        label = {"type": "user", "id": user.id, "name": user.name, "email": user.email}
        return _Party(WalletOwner.user(user.id), label)
    if to.id is None:
        raise InvalidArgument("Name the recipient organization by its id.", field="to.id")
    org = db.get(Organization, to.id)
    if org is None or org.id is None:
        raise RecipientNotFound()
    if actor is not None:
        role = _role(db, actor, org.id)
        allowed = role is not None if source.kind is OwnerKind.USER else role in MANAGER_ROLES
        if not allowed and WalletOwner.org(org.id) != source:
            raise RecipientNotFound()
    return _Party(WalletOwner.org(org.id), {"type": "org", "id": org.id, "name": org.name})


def _recipient_user(db: Session, to: Recipient) -> User | None:
    if to.email is not None:
        found = find_user_by_email(to.email, session=db)
        return db.get(User, found.id) if found else None
    if to.id is not None:
        return db.get(User, to.id)
    raise InvalidArgument("Name the recipient by email (or, from an org, by user id).", field="to")


def _role(db: Session, user_id: int, org_id: int) -> str | None:
    role: str | None = db.execute(
        select(Membership.role).where(  # type: ignore[call-overload]
            Membership.org_id == org_id, Membership.user_id == user_id
        )
    ).scalar_one_or_none()
    return role


def _earlier_transfer(
    db: Session, source_id: int, key: str, request_hash: str
) -> TransferResult | None:
    """The transfer this key already made (the original result), or a conflict."""
    row = db.execute(
        select(transfers).where(
            transfers.c.from_wallet_id == source_id, transfers.c.idempotency_key == key
        )
    ).one_or_none()
    if row is None:
        return None
    if row.request_hash != request_hash:
        raise IdempotencyConflict(key)
    balance_after = db.execute(
        select(entries.c.balance_after).where(entries.c.id == row.out_entry_id)
    ).scalar_one()
    source, target = (_owner_of(db, row.from_wallet_id), _owner_of(db, row.to_wallet_id))
    return TransferResult(
        row.id,
        units_to_credits(row.amount),
        source,
        target,
        units_to_credits(balance_after),
        row.out_entry_id,
        row.in_entry_id,
        replayed=True,
    )


def _owner_of(db: Session, wallet_id: int) -> WalletOwner:
    kind, owner_id = db.execute(
        select(wallets.c.owner_kind, wallets.c.owner_id).where(wallets.c.id == wallet_id)
    ).one()
    return WalletOwner(OwnerKind(kind), owner_id)


def _clean_note(note: str | None) -> str | None:
    if note is None or not note.strip():
        return None
    if len(note) > MAX_NOTE_LENGTH:
        raise InvalidArgument(f"note must be at most {MAX_NOTE_LENGTH} characters.", field="note")
    return note.strip()


def _request_hash(source: WalletOwner, to: Recipient, units: int, note: str | None) -> str:
    request = [source.kind.value, source.id, to.fingerprint(), units, note]
    return request_fingerprint(request)
