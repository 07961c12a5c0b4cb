"""Typed domain errors, each with a machine-readable `code` the doors map to a status or toast."""

from collections.abc import Callable
from decimal import Decimal
from typing import Any


class CreditsError(Exception):
    """Base of every expected failure of a credit operation.

    `after_rollback` holds work the failure itself calls for, run by `db.unit_of_work` after
    the transaction rolled back (see `wallet_service.debit_refusal`).
    """

    code = "credits_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        self.after_rollback: list[Callable[[], object]] = []


class InvalidAmount(CreditsError):
    """The amount is not a positive, finite, in-range multiple of the smallest credit unit."""

    code = "invalid_amount"


class InvalidCategory(CreditsError):
    """The category is not one of `CreditUsageCategory`."""

    code = "invalid_category"

    def __init__(self, value: str, allowed: list[str]) -> None:
        super().__init__(f"Unknown category {value!r}.", value=value, allowed=allowed)


class InvalidTransactionType(CreditsError):
    """The transaction type is not one of `TransactionType`."""

    code = "invalid_type"

    def __init__(self, value: str, allowed: list[str]) -> None:
        super().__init__(f"Unknown transaction type {value!r}.", value=value, allowed=allowed)


class InvalidArgument(CreditsError):
    """A non-amount argument is out of range (limit, days, description length, metadata)."""

    code = "invalid_argument"


class InvalidCursor(CreditsError):
    """A history cursor that this service did not issue."""

    code = "invalid_cursor"

    def __init__(self) -> None:
        super().__init__("The history cursor is malformed.")


class WalletNotFound(CreditsError):
    """The owner has no wallet (or does not exist)."""

    code = "wallet_not_found"

    def __init__(self, owner_kind: str, owner_id: int) -> None:
        super().__init__(
            f"No wallet for {owner_kind} {owner_id}.",
            ownerKind=owner_kind,
            ownerId=owner_id,
        )


class InsufficientCredits(CreditsError):
    """The wallet holds less than the deduction needs; nothing was deducted."""

    code = "insufficient_credits"

    def __init__(self, required: Decimal, available: Decimal) -> None:
        super().__init__(
            f"Insufficient credits: {_plain(required)} required, {_plain(available)} available.",
            required=required,
            available=available,
        )
        self.required = required
        self.available = available


class MonthlyLimitReached(CreditsError):
    """The deduction would take this month's spending past the wallet's monthly limit."""

    code = "monthly_limit_reached"

    def __init__(self, required: Decimal, monthly_limit: Decimal, used_this_month: Decimal) -> None:
        super().__init__(
            f"Monthly spending limit reached: {_plain(used_this_month)} of "
            f"{_plain(monthly_limit)} used, {_plain(required)} more requested.",
            required=required,
            monthlyLimit=monthly_limit,
            usedThisMonth=used_this_month,
        )


class BalanceLimitExceeded(CreditsError):
    """A credit would push the balance past the largest storable balance."""

    code = "balance_limit_exceeded"


class IdempotencyConflict(CreditsError):
    """The idempotency key was already used for a different request."""

    code = "idempotency_conflict"

    def __init__(self, key: str) -> None:
        super().__init__(
            "This idempotency key was already used with a different request.",
            idempotencyKey=key,
        )


class IdempotencyKeyInUse(CreditsError):
    """The first request with this key has not been answered yet (a copy raced it)."""

    code = "idempotency_key_in_use"

    def __init__(self, key: str) -> None:
        super().__init__(
            "A request with this idempotency key is still in progress; retry in a moment.",
            idempotencyKey=key,
        )


def _plain(amount: Decimal) -> str:
    """12.5000 -> '12.5', 40.0000 -> '40' for messages people read."""
    text = f"{amount:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


class InvalidExpiry(CreditsError):
    """An expiry that is not in the future (or is not a timestamp with a timezone)."""

    code = "invalid_expiry"
