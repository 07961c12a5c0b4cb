"""Transfers between wallets and refunds of spending (DESIGN §4b): thin doors onto
`credits/transfers.py` and `credits/spend_refunds.py`, which check who may do what."""

from typing import Annotated

from fastapi import Depends, Path, Response

from credits_app.api.deps import (
    AsciiInteger,
    CurrentUser,
    IdempotencyKey,
    OrgManager,
    service_caller,
)
from credits_app.api.encoding import respond
from credits_app.api.responses import api_router
from credits_app.api.transfer_schemas import (
    OrgTransferIn,
    PersonalTransferIn,
    RefundIn,
    RefundOut,
    ServiceRefundIn,
    TransferOut,
)
from credits_app.credits import spend_refunds, transfers
from credits_app.credits.owners import WalletOwner

router = api_router("transfers")

EntryId = Annotated[
    int,
    AsciiInteger,
    Path(alias="id", ge=1, le=2**63 - 1, description="The ledger entry (transaction) id"),
]


@router.post("/credits/transfers", response_model=TransferOut, status_code=201)
def personal_transfer(
    body: PersonalTransferIn, user: CurrentUser, idempotency_key: IdempotencyKey = None
) -> Response:
    """Send credits from my personal wallet to a user (by email) or an org I belong to."""
    return _transfer(user.id, WalletOwner.user(user.id), body, idempotency_key)


@router.post("/orgs/{orgId}/credits/transfers", response_model=TransferOut, status_code=201)
def org_transfer(
    body: OrgTransferIn, access: OrgManager, idempotency_key: IdempotencyKey = None
) -> Response:
    """Owners and admins send from the org wallet to a member or another org they manage."""
    return _transfer(access.user.id, WalletOwner.org(access.org_id), body, idempotency_key)


@router.post("/credits/transactions/{id}/refund", response_model=RefundOut, status_code=201)
def personal_refund(
    entry_id: EntryId, body: RefundIn, user: CurrentUser, idempotency_key: IdempotencyKey = None
) -> Response:
    """Refund a marketplace spend of my wallet within the refund window (default: all of it)."""
    return _refund(user.id, WalletOwner.user(user.id), entry_id, body, idempotency_key)


@router.post(
    "/orgs/{orgId}/credits/transactions/{id}/refund", response_model=RefundOut, status_code=201
)
def org_refund(
    entry_id: EntryId, body: RefundIn, access: OrgManager, idempotency_key: IdempotencyKey = None
) -> Response:
    """Owners and admins refund a marketplace spend of the org wallet."""
    return _refund(access.user.id, WalletOwner.org(access.org_id), entry_id, body, idempotency_key)


@router.post(
    "/internal/credits/refund",
    response_model=RefundOut,
    status_code=201,
    dependencies=[Depends(service_caller)],
)
def service_refund(body: ServiceRefundIn, idempotency_key: IdempotencyKey = None) -> Response:
    """Platform services refund any usage entry (any category, no window), with a reason."""
    result = spend_refunds.refund_for_service(
        body.transaction_id, body.amount, reason=body.reason, idempotency_key=idempotency_key
    )
    return respond(RefundOut.of(result), status_code=201)


def _transfer(
    actor: int,
    source: WalletOwner,
    body: PersonalTransferIn | OrgTransferIn,
    key: str | None,
) -> Response:
    result = transfers.transfer(
        actor, source, body.recipient(), body.amount, note=body.note, idempotency_key=key
    )
    return respond(TransferOut.of(result), status_code=201)


def _refund(
    actor: int, owner: WalletOwner, entry_id: int, body: RefundIn, key: str | None
) -> Response:
    result = spend_refunds.refund_own_spend(
        actor, owner, entry_id, body.amount, reason=body.reason, idempotency_key=key
    )
    return respond(RefundOut.of(result), status_code=201)
