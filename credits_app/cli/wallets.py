"""Wallet commands: `grant`, `adjust` and `balance`."""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Annotated

import typer

from credits_app.cli.common import (
    OperatorOption,
    OrgOption,
    ReasonOption,
    UserOption,
    console,
    operator_name,
    reports_errors,
    require_reason,
    resolve_target,
)
from credits_app.clock import utcnow
from credits_app.credits import adjustments, credit_service
from credits_app.credits.amounts import Units, format_balance, parse_credits
from credits_app.credits.categories import LotSource
from credits_app.credits.credit_service import CreditResult
from credits_app.credits.drafts import DEFAULT_PRIORITY, NewLot
from credits_app.credits.errors import InvalidExpiry

GRANT_PREFIX = "Operator grant"


@reports_errors
def grant(
    amount: Annotated[str, typer.Argument(help="Credits to add, e.g. 100 or 12.5.")],
    user: UserOption = None,
    org: OrgOption = None,
    reason: ReasonOption = None,
    operator: OperatorOption = None,
    expires_in: Annotated[
        str | None,
        typer.Option(metavar="DURATION", help="Expire after e.g. 30d, 12h or 90m (a lot expiry)."),
    ] = None,
    expires_at: Annotated[
        str | None,
        typer.Option(metavar="ISO8601", help="Expire at this moment, e.g. 2027-01-01T00:00Z."),
    ] = None,
    priority: Annotated[
        int, typer.Option(min=0, max=100, help="Lower is spent first among equal expiries.")
    ] = DEFAULT_PRIORITY,
) -> None:
    """Credit a wallet (a `grant` entry and its lot, recording the reason and the operator)."""
    metadata = adjustments.operator_metadata(require_reason(reason), operator_name(operator))
    target = resolve_target(user, org)
    expiry = expiry_option(expires_in, expires_at)
    units = parse_credits(amount)
    lots = (
        (NewLot(units, LotSource.GRANT, expiry, priority),)
        if expiry is not None or priority != DEFAULT_PRIORITY
        else ()
    )
    result = credit_service.grant(
        target.owner,
        Units(units),
        description=adjustments.operator_description(GRANT_PREFIX, metadata["reason"]),
        metadata=metadata,
        lots=lots,
    )
    until = f" (lot #{result.lot_id}, expires {expiry:%Y-%m-%d %H:%M} UTC)" if expiry else ""
    console.print(
        f"Granted {format_balance(result.amount)} credits to {target.label}{until}; "
        f"{_after(result)}"
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
    result = adjustments.adjust(target.owner, amount, reason=reason, operator=operator)
    console.print(
        f"Adjusted {target.label} by {format_signed(result.amount)} credits; {_after(result)}"
    )


@reports_errors
def balance(user: UserOption = None, org: OrgOption = None) -> None:
    """Print a wallet's balance."""
    target = resolve_target(user, org)
    console.print(f"{target.label}: {format_balance(credit_service.balance(target.owner))} credits")


def _after(result: CreditResult) -> str:
    return f"balance {format_balance(result.new_balance)} (entry #{result.transaction_id})."


def format_signed(amount: Decimal) -> str:
    """ "+12.5" / "-12.5": the sign of a ledger movement is the point of the message."""
    return ("-" if amount < 0 else "+") + format_balance(abs(amount))


_DURATION_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def expiry_option(expires_in: str | None, expires_at: str | None) -> datetime | None:
    """The moment `--expires-in 30d` or `--expires-at ISO` names (not both), or None."""
    if expires_in is not None and expires_at is not None:
        raise InvalidExpiry("Give --expires-in or --expires-at, not both.")
    if expires_in is not None:
        number, unit = expires_in[:-1], expires_in[-1:].lower()
        if unit not in _DURATION_UNITS or not number.isascii() or not number.isdigit():
            raise InvalidExpiry("--expires-in must look like 30d, 12h or 90m.")
        return utcnow() + timedelta(**{_DURATION_UNITS[unit]: int(number)})
    if expires_at is not None:
        try:
            moment = datetime.fromisoformat(expires_at)
        except ValueError:
            raise InvalidExpiry("--expires-at must be an ISO 8601 timestamp.") from None
        if moment.tzinfo is None:
            raise InvalidExpiry("--expires-at must name its timezone, e.g. ...Z or +00:00.")
        return moment
    return None
