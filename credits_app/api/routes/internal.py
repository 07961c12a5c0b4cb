"""POST /api/internal/credits/deduct and /grant: other platform services spend or give credits."""

from fastapi import Depends, Response

from credits_app.api.deps import IdempotencyKey, service_caller
from credits_app.api.encoding import respond
from credits_app.api.responses import api_router
from credits_app.api.schemas import DeductOut, GrantOut, InternalDeductIn, InternalGrantIn
from credits_app.credits.categories import OwnerKind
from credits_app.credits.owners import WalletOwner
from credits_app.credits.service_deductions import deduct_for_service, grant_for_service

router = api_router("internal")


@router.post(
    "/internal/credits/deduct",
    response_model=DeductOut,
    dependencies=[Depends(service_caller)],
)
def deduct(body: InternalDeductIn, idempotency_key: IdempotencyKey = None) -> Response:
    """Deduct from exactly the wallet named; 402 with required/available when it is short."""
    owner = WalletOwner(OwnerKind(body.wallet.type), body.wallet.id)
    result = deduct_for_service(
        owner,
        body.amount,
        category=body.category,
        description=body.description,
        metadata=body.metadata,
        idempotency_key=idempotency_key,
    )
    return respond(DeductOut.of(result))


@router.post(
    "/internal/credits/grant",
    response_model=GrantOut,
    status_code=201,
    dependencies=[Depends(service_caller)],
)
def grant(body: InternalGrantIn, idempotency_key: IdempotencyKey = None) -> Response:
    """Grant credits as one lot (signup bonus, referral, goodwill), optionally expiring;
    a past `expiresAt` is 400 `invalid_expiry`."""
    owner = WalletOwner(OwnerKind(body.wallet.type), body.wallet.id)
    result = grant_for_service(
        owner,
        body.amount,
        reason=body.reason,
        source=body.source,
        expires_at=body.expires_at,
        priority=body.priority,
        metadata=body.metadata,
        idempotency_key=idempotency_key,
    )
    return respond(GrantOut.of(result), status_code=201)
