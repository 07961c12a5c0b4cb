"""POST /api/credits/purchase and /api/orgs/{orgId}/credits/purchase: start a Stripe Checkout.

The body names a package (`packageId`) or a custom whole number of `credits`, never a price:
any price the client sends is ignored, the server prices from its catalog or its volume tiers
(exactly as `GET /api/credits/pricing` quotes). Org purchases need an owner or admin (403
member, 404 outsider). An `Idempotency-Key` makes a retry answer the first request's Checkout
Session (a different body with the same key: 409), as for every POST that moves money.
"""

from fastapi import Response
from pydantic import Field

from credits_app.api.deps import CurrentUser, IdempotencyKey, OrgManager
from credits_app.api.encoding import respond
from credits_app.api.responses import api_router
from credits_app.api.schemas import Body
from credits_app.auth.organizations import get_org
from credits_app.billing.checkout import CheckoutStarted, start_checkout
from credits_app.credits.owners import WalletOwner

router = api_router("purchases")


class PurchaseIn(Body):
    package_id: str | None = Field(default=None, min_length=1, max_length=64)
    credits: int | None = Field(
        default=None, description="A custom amount: whole credits, priced by the volume tiers"
    )


class PurchaseOut(Body):
    checkout_url: str
    session_id: str

    @classmethod
    def of(cls, started: CheckoutStarted) -> "PurchaseOut":
        return cls(checkout_url=started.checkout_url, session_id=started.session_id)


@router.post("/credits/purchase", response_model=PurchaseOut)
def purchase_personal_credits(
    body: PurchaseIn, user: CurrentUser, idempotency_key: IdempotencyKey = None
) -> Response:
    """Open a Checkout Session for a package, paid into my personal wallet."""
    started = start_checkout(
        user.id,
        WalletOwner.user(user.id),
        body.package_id,
        credits=body.credits,
        return_path="/credits",
        idempotency_key=idempotency_key,
    )
    return respond(PurchaseOut.of(started))


@router.post("/orgs/{orgId}/credits/purchase", response_model=PurchaseOut)
def purchase_org_credits(
    body: PurchaseIn, access: OrgManager, idempotency_key: IdempotencyKey = None
) -> Response:
    """Open a Checkout Session for a package, paid into the organization wallet."""
    org = get_org(access.user.id, access.org_id)
    started = start_checkout(
        access.user.id,
        WalletOwner.org(access.org_id),
        body.package_id,
        credits=body.credits,
        return_path=f"/organizations/{org.slug}/credits",
        idempotency_key=idempotency_key,
    )
    return respond(PurchaseOut.of(started))
