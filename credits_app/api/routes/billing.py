"""The Billing page's doors: a wallet's purchases, their receipts, and pending checkouts.

- `GET /api/credits/purchases` (org: `/api/orgs/{orgId}/credits/purchases`, owners/admins)
  → `{items:[{id, createdAt, status, description, packageId, credits, bonusCredits,
  priceCents, currency, refundedCents, buyerEmail, hasReceipt, resumable}]}`, newest first.
- `GET …/purchases/{id}/receipt`: a redirect to Stripe's receipt (real Stripe) or our PDF.
- `POST …/purchases/{id}/resume` → `{checkoutUrl}`; `POST …/purchases/{id}/abandon` → 204.
  Only the buyer who opened the checkout may resume or abandon it.
"""

from typing import Annotated, Any

from fastapi import Path, Response
from fastapi.responses import RedirectResponse

from credits_app.api.deps import AsciiInteger, CurrentUser, Cursor, Limit, OrgManager
from credits_app.api.encoding import respond
from credits_app.api.responses import api_router
from credits_app.api.schemas import Body, Credits
from credits_app.billing.purchase_history import (
    PurchaseRecord,
    abandon_checkout,
    list_purchases,
    resume_checkout_url,
)
from credits_app.billing.receipts import purchase_receipt
from credits_app.credits.owners import WalletOwner

router = api_router("billing")

RECEIPT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Our receipt (simulator, or when Stripe has none)",
        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
    },
    302: {"description": "Redirect to Stripe's hosted receipt (`receipt_url`)"},
}

PurchaseId = Annotated[
    int, AsciiInteger, Path(alias="id", ge=1, le=2**31 - 1, description="The purchase id")
]


class PurchaseItemOut(Body):
    id: int
    created_at: str
    status: str
    description: str
    package_id: str | None
    credits: Credits
    bonus_credits: Credits
    price_cents: int
    currency: str
    refunded_cents: int
    buyer_email: str
    has_receipt: bool
    resumable: bool

    @classmethod
    def of(cls, record: PurchaseRecord) -> "PurchaseItemOut":
        return cls(
            id=record.id,
            created_at=record.created_at.isoformat().replace("+00:00", "Z"),
            status=record.status,
            description=record.description,
            package_id=record.package_id,
            credits=record.credits,
            bonus_credits=record.bonus_credits,
            price_cents=record.price_minor,
            currency=record.currency,
            refunded_cents=record.refunded_minor,
            buyer_email=record.buyer_email,
            has_receipt=record.has_receipt,
            resumable=record.resumable,
        )


class PurchaseListOut(Body):
    items: list[PurchaseItemOut]
    next_cursor: str | None


class ResumeOut(Body):
    checkout_url: str


@router.get("/credits/purchases", response_model=PurchaseListOut)
def personal_purchases(user: CurrentUser, limit: Limit = 50, cursor: Cursor = None) -> Response:
    """My personal wallet's purchases, newest first, paged by an opaque cursor."""
    return _list(user.id, WalletOwner.user(user.id), limit, cursor)


@router.get("/orgs/{orgId}/credits/purchases", response_model=PurchaseListOut)
def org_purchases(access: OrgManager, limit: Limit = 50, cursor: Cursor = None) -> Response:
    """The organization's purchases (owners and admins), newest first, paged."""
    return _list(access.user.id, WalletOwner.org(access.org_id), limit, cursor)


@router.get(
    "/credits/purchases/{id}/receipt",
    response_class=Response,
    responses=RECEIPT_RESPONSES,
)
def personal_receipt(purchase_id: PurchaseId, user: CurrentUser) -> Response:
    """The receipt of one paid purchase: Stripe's page, or a PDF with the simulator."""
    return _receipt(user.id, WalletOwner.user(user.id), purchase_id)


@router.get(
    "/orgs/{orgId}/credits/purchases/{id}/receipt",
    response_class=Response,
    responses=RECEIPT_RESPONSES,
)
def org_receipt(purchase_id: PurchaseId, access: OrgManager) -> Response:
    """The receipt of one paid purchase of the organization."""
    return _receipt(access.user.id, WalletOwner.org(access.org_id), purchase_id)


@router.post("/credits/purchases/{id}/resume", response_model=ResumeOut)
def personal_resume(purchase_id: PurchaseId, user: CurrentUser) -> Response:
    """Where to finish paying a pending checkout I opened."""
    url = resume_checkout_url(user.id, WalletOwner.user(user.id), purchase_id)
    return respond(ResumeOut(checkout_url=url))


@router.post("/orgs/{orgId}/credits/purchases/{id}/resume", response_model=ResumeOut)
def org_resume(purchase_id: PurchaseId, access: OrgManager) -> Response:
    """Where to finish paying a pending org checkout I opened."""
    url = resume_checkout_url(access.user.id, WalletOwner.org(access.org_id), purchase_id)
    return respond(ResumeOut(checkout_url=url))


@router.post("/credits/purchases/{id}/abandon", status_code=204)
def personal_abandon(purchase_id: PurchaseId, user: CurrentUser) -> Response:
    """Close a pending checkout I opened (Stripe expires the session; nothing is charged)."""
    abandon_checkout(user.id, WalletOwner.user(user.id), purchase_id)
    return Response(status_code=204)


@router.post("/orgs/{orgId}/credits/purchases/{id}/abandon", status_code=204)
def org_abandon(purchase_id: PurchaseId, access: OrgManager) -> Response:
    """Close a pending org checkout I opened."""
    abandon_checkout(access.user.id, WalletOwner.org(access.org_id), purchase_id)
    return Response(status_code=204)


def _list(viewer_id: int, owner: WalletOwner, limit: int, cursor: str | None) -> Response:
    page = list_purchases(viewer_id, owner, limit=limit, cursor=cursor)
    items = [PurchaseItemOut.of(record) for record in page.items]
    return respond(PurchaseListOut(items=items, next_cursor=page.next_cursor))


def _receipt(viewer_id: int, owner: WalletOwner, purchase_id: int) -> Response:
    receipt = purchase_receipt(viewer_id, owner, purchase_id)
    if receipt.url:
        return RedirectResponse(receipt.url, status_code=302)
    assert receipt.pdf is not None
    return Response(
        receipt.pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{receipt.filename}"',
            "Cache-Control": "private, no-store",
        },
    )
