"""Operator corrections: signed `adjustment` entries that carry who made them and why.

The ledger is append-only (DESIGN §3), so a correction is a new entry, never an edit. Every
operator change records `{"reason": ..., "operator": ...}` in the entry's metadata. A negative
adjustment goes through the same guarded balance move as a deduction, so it can never take a
wallet below zero: it raises `InsufficientCredits` and writes nothing.
"""

from decimal import Decimal

from sqlmodel import Session

from credits_app.credits.amounts import AmountInput, parse_credits, units_to_credits
from credits_app.credits.categories import TransactionType
from credits_app.credits.credit_service import CreditResult
from credits_app.credits.errors import InvalidAmount, InvalidArgument
from credits_app.credits.wallet_service import (
    MAX_DESCRIPTION_LENGTH,
    EntryDraft,
    WalletOwner,
    post_entry,
)
from credits_app.db import unit_of_work

MAX_REASON_LENGTH = 500
MAX_OPERATOR_LENGTH = 200
ADJUSTMENT_PREFIX = "Operator adjustment"


def adjust_personal_credits(
    user_id: int,
    amount: AmountInput,
    *,
    reason: str,
    operator: str,
    idempotency_key: str | None = None,
    session: Session | None = None,
) -> CreditResult:
    """Post a signed correction to the user's wallet, e.g. "-12.5"; never below zero."""
    return adjust(
        WalletOwner.user(user_id),
        amount,
        reason=reason,
        operator=operator,
        idempotency_key=idempotency_key,
        session=session,
    )


def adjust_org_credits(
    org_id: int,
    amount: AmountInput,
    *,
    reason: str,
    operator: str,
    idempotency_key: str | None = None,
    session: Session | None = None,
) -> CreditResult:
    """Post a signed correction to the organization's wallet; never below zero."""
    return adjust(
        WalletOwner.org(org_id),
        amount,
        reason=reason,
        operator=operator,
        idempotency_key=idempotency_key,
        session=session,
    )


def parse_signed_credits(value: AmountInput) -> int:
    """Signed units of "-12.5", "+3" or "7" without floats; zero is refused like any amount."""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise InvalidAmount(
            "Amount must be a decimal number (int, Decimal or string), not a float.",
            value=repr(value),
        )
    text = value.strip() if isinstance(value, str) else str(value)
    sign = -1 if text.startswith("-") else 1
    magnitude = text[1:] if text.startswith(("-", "+")) else text
    if magnitude.startswith(("-", "+")) or magnitude[:1].isspace():
        raise InvalidAmount("Amount must be a number with at most one sign.", value=str(value))
    return sign * parse_credits(magnitude)


def operator_metadata(reason: str, operator: str) -> dict[str, str]:
    """The validated `{"reason", "operator"}` every operator entry records; a reason is required."""
    reason = reason.strip()
    operator = operator.strip()
    if not reason:
        raise InvalidArgument("A reason is required for an operator change.", field="reason")
    if len(reason) > MAX_REASON_LENGTH:
        raise InvalidArgument(
            f"Reason must be at most {MAX_REASON_LENGTH} characters.", field="reason"
        )
    if not operator or len(operator) > MAX_OPERATOR_LENGTH:
        raise InvalidArgument(
            f"Operator name must be 1 to {MAX_OPERATOR_LENGTH} characters.", field="operator"
        )
    return {"reason": reason, "operator": operator}


def operator_description(action: str, reason: str) -> str:
    """ "<action>: <reason>", cut to the ledger's limit (the full reason stays in metadata)."""
    description = f"{action}: {reason}"
    if len(description) <= MAX_DESCRIPTION_LENGTH:
        return description
    return description[: MAX_DESCRIPTION_LENGTH - 1] + "…"


def adjust(
    owner: WalletOwner,
    amount: AmountInput,
    *,
    reason: str,
    operator: str,
    idempotency_key: str | None = None,
    session: Session | None = None,
) -> CreditResult:
    """Post a signed correction to the owner's wallet: up creates a lot, down takes from lots in
    the consumption order like any debit, and never below zero."""
    metadata = operator_metadata(reason, operator)
    draft = EntryDraft(
        type=TransactionType.ADJUSTMENT,
        amount=parse_signed_credits(amount),
        description=operator_description(ADJUSTMENT_PREFIX, metadata["reason"]),
        metadata=metadata,
        idempotency_key=idempotency_key,
    )
    with unit_of_work(session) as db:
        posted = post_entry(db, owner, draft)
    return CreditResult(
        transaction_id=posted.id,
        amount=units_to_credits(posted.amount),
        new_balance=units_to_credits(posted.balance_after),
        replayed=posted.replayed,
    )
