"""Read-only view of one purchase by its Checkout Session id.

The credits page needs it when the buyer returns from Checkout: to say how many credits
arrived ("12,000 credits added") and to check that the session belongs to the wallet on
screen, without touching fulfillment itself.
"""

from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import col, select

from credits_app.credits.amounts import units_to_credits
from credits_app.credits.categories import OwnerKind
from credits_app.credits.owners import WalletOwner
from credits_app.db import unit_of_work
from credits_app.models import Purchase


@dataclass(frozen=True)
class PurchaseSummary:
    """Whose wallet a purchase pays into, how many credits (bonus included), and its status."""

    owner: WalletOwner
    buyer_user_id: int
    package_id: str | None  # None: a custom amount
    credits: Decimal
    status: str  # pending | fulfilled | failed | expired


def find_purchase_by_session(session_id: str) -> PurchaseSummary | None:
    """The purchase opened with this Checkout Session, or None when there is none."""
    query = select(Purchase).where(col(Purchase.stripe_session_id) == session_id)
    with unit_of_work() as db:
        purchase = db.exec(query).first()
    if purchase is None:
        return None
    return PurchaseSummary(
        owner=WalletOwner(OwnerKind(purchase.owner_kind), purchase.owner_id),
        buyer_user_id=purchase.buyer_user_id,
        package_id=purchase.package_id,
        credits=units_to_credits(purchase.credits),
        status=purchase.status,
    )
