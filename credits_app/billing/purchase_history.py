"""A wallet's purchases as the Billing page and `GET …/purchases` show them, and what a buyer
may do with a pending one (resume it in Checkout, or abandon it).

Who may look: your own personal wallet; an organization's purchases only its owners and
admins (they hold the org's billing; members 403, outsiders 404, as for buying). A pending
checkout is resumed or abandoned only by the person who opened it: the Checkout Session is
theirs (the simulator lets only its buyer pay), and nobody else should finish or cancel it.

Status as shown (`display_status`): pending, paid, failed, expired, refunded (any part of the
payment was refunded), disputed (a dispute is open or was lost). A pending checkout older than
Stripe's 24-hour session lifetime shows as expired even before Stripe's event arrives.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import stripe
from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from credits_app.auth.organizations import require_manager
from credits_app.billing.checkout import PaymentProviderError
from credits_app.billing.stripe_gateway import stripe_client
from credits_app.billing.webhooks import mark_pending_purchase
from credits_app.clock import utcnow
from credits_app.credits.amounts import units_to_credits
from credits_app.credits.categories import OwnerKind
from credits_app.credits.errors import CreditsError, InvalidArgument
from credits_app.credits.history_cursor import decode_cursor, encode_cursor
from credits_app.credits.owners import WalletOwner
from credits_app.db import unit_of_work
from credits_app.models import Purchase, User

CHECKOUT_LIFETIME = timedelta(hours=24)  # Stripe's default Checkout Session expiry
MAX_LISTED = 100  # a page at most
PAGE_SIZE = 50
PURCHASE_STATUSES = ("pending", "paid", "failed", "expired", "refunded", "disputed")


class PurchaseNotFound(CreditsError):
    """No such purchase in this wallet, or not one this user may act on (404)."""

    code = "purchase_not_found"

    def __init__(self, purchase_id: int) -> None:
        super().__init__(f"No purchase {purchase_id} here.", purchaseId=purchase_id)


class PurchaseNotPending(CreditsError):
    """The checkout was already paid, failed or expired: nothing to resume or abandon (409)."""

    code = "purchase_not_pending"


@dataclass(frozen=True)
class PurchaseRecord:
    """One purchase, as the Billing page lists it."""

    id: int
    created_at: datetime
    status: str  # one of PURCHASE_STATUSES
    description: str  # "Pro package" or "Custom amount"
    package_id: str | None
    credits: Decimal  # bonus included
    bonus_credits: Decimal
    price_minor: int
    currency: str
    refunded_minor: int
    buyer_email: str
    opened_by_viewer: bool  # only the buyer resumes or abandons a pending checkout
    fulfilled_at: datetime | None

    @property
    def has_receipt(self) -> bool:
        return self.fulfilled_at is not None

    @property
    def resumable(self) -> bool:
        return self.status == "pending" and self.opened_by_viewer


@dataclass(frozen=True)
class PurchasePage:
    """One page of a wallet's purchases; `next_cursor` continues after its last one."""

    items: list[PurchaseRecord]
    next_cursor: str | None


def list_purchases(
    viewer_id: int, owner: WalletOwner, *, limit: int = PAGE_SIZE, cursor: str | None = None
) -> PurchasePage:
    """The wallet's purchases, newest first, `limit` (1..MAX_LISTED) at a time."""
    if not 1 <= limit <= MAX_LISTED:
        raise InvalidArgument(f"limit must be between 1 and {MAX_LISTED}.")
    query = (
        select(Purchase, User.email)
        .join(User, col(User.id) == col(Purchase.buyer_user_id))
        .where(col(Purchase.owner_kind) == owner.kind.value, col(Purchase.owner_id) == owner.id)
    )
    if cursor is not None:  # keyset: strictly after the last row served, in the same order
        created_at, purchase_id = decode_cursor(cursor)
        query = query.where(
            or_(
                col(Purchase.created_at) < created_at,
                and_(col(Purchase.created_at) == created_at, col(Purchase.id) < purchase_id),
            )
        )
    order = (col(Purchase.created_at).desc(), col(Purchase.id).desc())
    with unit_of_work() as db:
        require_billing_access(db, viewer_id, owner)
        rows = db.exec(query.order_by(*order).limit(limit + 1)).all()
    items = [_record(row, email, viewer_id) for row, email in rows[:limit]]
    last = rows[limit - 1][0] if len(rows) > limit else None
    next_cursor = None if last is None else encode_cursor(_aware(last.created_at), last.id or 0)
    return PurchasePage(items, next_cursor)


def get_purchase(viewer_id: int, owner: WalletOwner, purchase_id: int) -> PurchaseRecord:
    """One purchase of the wallet, or `PurchaseNotFound`."""
    with unit_of_work() as db:
        row = _owned(db, viewer_id, owner, purchase_id)
        buyer = db.get(User, row.buyer_user_id)
        return _record(row, buyer.email if buyer else "", viewer_id)


def resume_checkout_url(viewer_id: int, owner: WalletOwner, purchase_id: int) -> str:
    """The open Checkout Session's URL, to pay a pending purchase now; a session Stripe has
    expired meanwhile marks the purchase expired and answers `PurchaseNotPending`."""
    session_id = _pending_session_of_buyer(viewer_id, owner, purchase_id)
    try:
        session = stripe_client().v1.checkout.sessions.retrieve(session_id)
    except stripe.StripeError:
        raise PaymentProviderError("The payment provider is unavailable; try again.") from None
    if session.status != "open" or not session.url:
        if session.status == "expired":
            mark_pending_purchase(session_id, "expired")
        raise PurchaseNotPending("This checkout can no longer be paid.", purchaseId=purchase_id)
    return str(session.url)


def abandon_checkout(viewer_id: int, owner: WalletOwner, purchase_id: int) -> None:
    """Expire the pending purchase's Checkout Session at Stripe, then mark it expired.

    Stripe refuses to expire a session that was paid meanwhile; the purchase then stays as the
    payment makes it (credited by the webhook), never both paid and abandoned.
    """
    session_id = _pending_session_of_buyer(viewer_id, owner, purchase_id)
    try:
        stripe_client().v1.checkout.sessions.expire(session_id)
    except stripe.InvalidRequestError:
        raise PurchaseNotPending(
            "This checkout was already completed or closed.", purchaseId=purchase_id
        ) from None
    except stripe.StripeError:
        raise PaymentProviderError("The payment provider is unavailable; try again.") from None
    mark_pending_purchase(session_id, "expired")


def display_status(purchase: Purchase, now: datetime | None = None) -> str:
    """The one status a purchase shows (module docstring)."""
    if purchase.status == "fulfilled":
        if purchase.dispute_status in ("open", "lost"):
            return "disputed"
        return "refunded" if purchase.refunded_minor > 0 else "paid"
    if purchase.status == "pending" and _aware(purchase.created_at) + CHECKOUT_LIFETIME < (
        now or utcnow()
    ):
        return "expired"
    return purchase.status


def require_billing_access(db: Session, viewer_id: int, owner: WalletOwner) -> None:
    """Your own wallet; an org's only as its owner or admin (`Forbidden`, `OrgNotFound`)."""
    if owner.kind is OwnerKind.ORG:
        require_manager(viewer_id, owner.id, session=db)
    elif owner.id != viewer_id:
        raise PurchaseNotFound(0)


def _pending_session_of_buyer(viewer_id: int, owner: WalletOwner, purchase_id: int) -> str:
    with unit_of_work() as db:
        row = _owned(db, viewer_id, owner, purchase_id)
        if row.buyer_user_id != viewer_id:
            raise PurchaseNotFound(purchase_id)
        if display_status(row) != "pending" or row.stripe_session_id is None:
            raise PurchaseNotPending("This checkout is no longer pending.", purchaseId=purchase_id)
        return row.stripe_session_id


def _owned(db: Session, viewer_id: int, owner: WalletOwner, purchase_id: int) -> Purchase:
    require_billing_access(db, viewer_id, owner)
    row = db.get(Purchase, purchase_id) if 0 < purchase_id < 2**31 else None
    if row is None or (row.owner_kind, row.owner_id) != (owner.kind.value, owner.id):
        raise PurchaseNotFound(purchase_id)
    return row


def _record(row: Purchase, buyer_email: str, viewer_id: int) -> PurchaseRecord:
    assert row.id is not None
    return PurchaseRecord(
        id=row.id,
        created_at=_aware(row.created_at),
        status=display_status(row),
        description=f"{row.package_id.title()} package" if row.package_id else "Custom amount",
        package_id=row.package_id,
        credits=units_to_credits(row.credits),
        bonus_credits=units_to_credits(row.bonus_credits),
        price_minor=row.price_minor,
        currency=row.currency,
        refunded_minor=row.refunded_minor,
        buyer_email=buyer_email,
        opened_by_viewer=row.buyer_user_id == viewer_id,
        fulfilled_at=_aware(row.fulfilled_at) if row.fulfilled_at else None,
    )


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they are stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
