"""Operator commands `transfer` and `refund`: the same services as the API, recorded with the
operator (`--operator`, default the OS user) and the reason."""

from typing import Annotated

import typer

from credits_app.cli.common import (
    OperatorOption,
    ReasonOption,
    console,
    fail,
    operator_name,
    reports_errors,
    require_reason,
    resolve_target,
)
from credits_app.credits.amounts import format_balance
from credits_app.credits.categories import OwnerKind
from credits_app.credits.spend_refunds import refund_for_service
from credits_app.credits.transfers import Recipient
from credits_app.credits.transfers import transfer as transfer_credits


@reports_errors
def transfer(
    amount: Annotated[str, typer.Argument(help="Credits to move, e.g. 10 or 2.5.")],
    from_user: Annotated[
        str | None, typer.Option(metavar="EMAIL", help="Send from this user.")
    ] = None,
    from_org: Annotated[
        str | None, typer.Option(metavar="SLUG", help="Send from this org.")
    ] = None,
    to_user: Annotated[str | None, typer.Option(metavar="EMAIL", help="To this user.")] = None,
    to_org: Annotated[str | None, typer.Option(metavar="SLUG", help="To this org.")] = None,
    reason: ReasonOption = None,
    operator: OperatorOption = None,
) -> None:
    """Move credits between two wallets, lots preserved (a `transfer_out` and a `transfer_in`)."""
    note, who = require_reason(reason), operator_name(operator)
    source = resolve_target(from_user, from_org)
    target = resolve_target(to_user, to_org)
    if target.owner.kind is OwnerKind.USER:
        recipient = Recipient(OwnerKind.USER, id=target.owner.id)
    else:
        recipient = Recipient(OwnerKind.ORG, id=target.owner.id)
    result = transfer_credits(None, source.owner, recipient, amount, note=note, operator=who)
    console.print(
        f"Transferred {format_balance(result.amount)} credits from {source.label} to "
        f"{target.label} (transfer #{result.transfer_id}); sender balance "
        f"{format_balance(result.new_balance)}."
    )


@reports_errors
def refund(
    entry_id: Annotated[int, typer.Argument(metavar="ENTRY_ID", help="The usage entry to refund.")],
    amount: Annotated[
        str | None, typer.Argument(help="Credits to refund (default: all still refundable).")
    ] = None,
    reason: ReasonOption = None,
    operator: OperatorOption = None,
) -> None:
    """Refund a usage entry into the lots it was paid from (any category, no window)."""
    why, who = require_reason(reason), operator_name(operator)
    if entry_id < 1:
        fail("ENTRY_ID must be a positive ledger entry id.")
    result = refund_for_service(entry_id, amount, reason=why, operator=who)
    expired = (
        f"; {format_balance(result.expired_amount)} of it expired at once (its lot had expired)"
        if result.expired_amount
        else ""
    )
    console.print(
        f"Refunded {format_balance(result.refunded_amount)} credits of entry #{entry_id} "
        f"(refund #{result.refund_id}); {format_balance(result.remaining_refundable)} still "
        f"refundable; balance {format_balance(result.new_balance)}{expired}."
    )
