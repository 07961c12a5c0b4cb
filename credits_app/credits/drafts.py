"""What a write asks for, validated before any SQL: a ledger entry and the lots a credit brings."""

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from credits_app.credits.ai_usage_metadata import validate_ai_metadata
from credits_app.credits.categories import CreditUsageCategory, LotSource, TransactionType
from credits_app.credits.errors import InvalidArgument, InvalidExpiry

MAX_DESCRIPTION_LENGTH = 500
MAX_METADATA_BYTES = 16_384
MAX_IDEMPOTENCY_KEY_LENGTH = 255
DEFAULT_PRIORITY = 50

# The lot a credit creates when the caller does not say (DESIGN §3b sources).
DEFAULT_LOT_SOURCE = {
    TransactionType.PURCHASE: LotSource.PURCHASE,
    TransactionType.GRANT: LotSource.GRANT,
    TransactionType.REFUND: LotSource.REFUND,
    TransactionType.ADJUSTMENT: LotSource.GRANT,
    TransactionType.TRANSFER_IN: LotSource.TRANSFER,
}


@dataclass(frozen=True)
class NewLot:
    """Units a credit adds as one lot: its source, expiry, spending priority and cost basis."""

    units: int
    source: LotSource
    expires_at: datetime | None = None
    priority: int = DEFAULT_PRIORITY
    cost_minor: int | None = None
    currency: str | None = None

    def __post_init__(self) -> None:
        if self.units <= 0:
            raise InvalidArgument("A lot must hold a positive amount.")
        if type(self.priority) is not int or not 0 <= self.priority <= 100:
            raise InvalidArgument("priority must be an integer from 0 to 100.", field="priority")
        if self.expires_at is not None:
            if self.expires_at.tzinfo is None:
                raise InvalidExpiry("expiresAt must name its timezone (ISO 8601, e.g. ...Z).")
            # Stored as UTC (SQLite keeps the wall-clock fields only).
            object.__setattr__(self, "expires_at", self.expires_at.astimezone(UTC))

    def fingerprint(self) -> list[Any]:
        """What distinguishes this lot in an idempotent request."""
        expiry = self.expires_at.isoformat() if self.expires_at else None
        return [self.units, self.source.value, expiry, self.priority, self.cost_minor]


@dataclass(frozen=True)
class LotReturn:
    """Units a credit puts back into an existing lot of the wallet (a refund of a spend gives
    them back to the lot it took them from: same lot, same expiry, same cost basis)."""

    lot_id: int
    units: int

    def __post_init__(self) -> None:
        if self.units <= 0:
            raise InvalidArgument("A lot can only get a positive amount back.")


@dataclass(frozen=True)
class EntryDraft:
    """A ledger entry about to be posted; validated on creation so nothing invalid reaches SQL.

    A credit (amount > 0) brings `lots` (default: one lot of the whole amount, source by type,
    no expiry) and/or `returns` units into lots it names (a spend refund); a debit carries
    neither: it takes from lots in the consumption order. `unspend` is what a refund gives
    back to this month's spend counter (the monthly limit; never taken below zero).
    """

    type: TransactionType
    amount: int  # signed units: > 0 credits the wallet, < 0 debits it
    category: CreditUsageCategory | None = None
    description: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict)
    idempotency_key: str | None = None
    lots: tuple[NewLot, ...] = ()
    returns: tuple[LotReturn, ...] = ()
    unspend: int = 0

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
        if len(canonical_json(self.metadata)) > MAX_METADATA_BYTES:
            raise InvalidArgument(f"Metadata must be at most {MAX_METADATA_BYTES} bytes of JSON.")
        if self.category is CreditUsageCategory.AI_USAGE:  # AI keys mean nothing elsewhere
            validate_ai_metadata(self.metadata)
        if self.amount < 0 and (self.lots or self.returns):
            raise InvalidArgument("A debit takes from existing lots; it cannot create any.")
        chosen = self.lots or self.returns
        given = sum(lot.units for lot in self.lots) + sum(back.units for back in self.returns)
        if chosen and given != self.amount:
            raise InvalidArgument("The lots of a credit must add up to its amount.")
        refund = self.type is TransactionType.REFUND
        if self.unspend and not (refund and 0 < self.unspend <= self.amount):
            raise InvalidArgument("Only a refund gives spending back, at most its amount.")

    def new_lots(self) -> tuple[NewLot, ...]:
        """The lots this entry creates (none for a debit)."""
        if self.amount < 0:
            return ()
        if self.lots or self.returns:
            return self.lots
        return (NewLot(self.amount, DEFAULT_LOT_SOURCE.get(self.type, LotSource.GRANT)),)

    def spend_units(self) -> int:
        """Units this entry spends against the monthly limit: usage counts, other debits don't;
        a refund's `unspend` counts negative (the write path keeps the counter at zero or more)."""
        return -self.amount if self.type is TransactionType.USAGE else -self.unspend

    def request_hash(self) -> str:
        """Fingerprint of what was asked, so a replayed key can be told from a reused one.

        Lots count only when the caller chose them, so keys recorded before lots existed
        still replay (their requests hashed the same fields).
        """
        request: dict[str, Any] = {
            "type": self.type.value,
            "amount": self.amount,
            "category": self.category.value if self.category else None,
            "description": self.description,
            "metadata": self.metadata,
        }
        if self.lots:
            request["lots"] = [lot.fingerprint() for lot in self.lots]
        if self.returns:
            request["returns"] = [[back.lot_id, back.units] for back in self.returns]
        return request_fingerprint(request)


def request_fingerprint(value: Any) -> str:
    """SHA-256 of the canonical JSON of what a request asked for: the one form every
    idempotency key's request is compared in (same key, other fingerprint: 409)."""
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()


def canonical_json(value: Any) -> str:
    """Sorted, compact JSON: the form sizes and hashes are computed on."""
    try:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError):
        raise InvalidArgument("Metadata must be a JSON object of plain values.") from None
