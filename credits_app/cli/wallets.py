"""Wallet commands: `grant`, `adjust` and `balance`."""

from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated

import typer

from credits_app.cli.common import (
    OperatorOption,
    OrgOption,
    ReasonOption,
    Target,
    UserOption,
    console,
    operator_name,
    reports_errors,
    require_reason,
    resolve_target,
)
from credits_app.credits import adjustments, credit_service
from credits_app.credits.amounts import format_balance
from credits_app.credits.categories import OwnerKind
from credits_app.credits.credit_service import CreditResult

GRANT_PREFIX = "Operator grant"


@reports_errors
def grant(
    amount: Annotated[str, typer.Argument(help="Credits to add, e.g. 100 or 12.5.")],
    user: UserOption = None,
    org: OrgOption = None,
    reason: ReasonOption = None,
    operator: OperatorOption = None,
) -> None:
    """Credit a wallet (a `grant` entry recording the reason and the operator)."""
    metadata = adjustments.operator_metadata(require_reason(reason), operator_name(operator))
    target = resolve_target(user, org)
    result = _grant(
        target, amount, adjustments.operator_description(GRANT_PREFIX, metadata["reason"]), metadata
    )
    console.print(
        f"Granted {format_balance(result.amount)} credits to {target.label}; {_after(result)}"
    )


@reports_errors
def adjust(
    amount: Annotated[
        str, typer.Argument(metavar="SIGNED_AMOUNT", help="Signed credits, e.g. 5 or -12.5.")
    ],
    user: UserOption = None,
    org: OrgOption = None,
    reason: ReasonOption = None,
    operator: OperatorOption = None,
) -> None:
    """Correct a wallet up or down (an `adjustment` entry); never takes it below zero."""
    reason, operator = require_reason(reason), operator_name(operator)
    target = resolve_target(user, org)
    adjust_wallet = (
        adjustments.adjust_personal_credits
        if target.owner.kind is OwnerKind.USER
        else adjustments.adjust_org_credits
    )
    result = adjust_wallet(target.owner.id, amount, reason=reason, operator=operator)
    console.print(
        f"Adjusted {target.label} by {format_signed(result.amount)} credits; {_after(result)}"
    )


@reports_errors
def balance(user: UserOption = None, org: OrgOption = None) -> None:
    """Print a wallet's balance."""
    target = resolve_target(user, org)
    console.print(f"{target.label}: {format_balance(_balance(target))} credits")


def _grant(
    target: Target, amount: str, description: str, metadata: Mapping[str, str]
) -> CreditResult:
    if target.owner.kind is OwnerKind.USER:
        return credit_service.grant_personal_credits(
            target.owner.id, amount, description=description, metadata=metadata
        )
    return credit_service.grant_org_credits(
        target.owner.id, amount, description=description, metadata=metadata
    )


def _balance(target: Target) -> Decimal:
    if target.owner.kind is OwnerKind.USER:
        return credit_service.get_personal_balance(target.owner.id)
    return credit_service.get_org_balance(target.owner.id)


def _after(result: CreditResult) -> str:
    return f"balance {format_balance(result.new_balance)} (entry #{result.transaction_id})."


def format_signed(amount: Decimal) -> str:
    """ "+12.5" / "-12.5": the sign of a ledger movement is the point of the message."""
    return ("-" if amount < 0 else "+") + format_balance(abs(amount))
