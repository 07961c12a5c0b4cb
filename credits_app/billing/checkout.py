"""Start a purchase: a pending purchase row priced by the server, then a Stripe Checkout Session.

The client names a package or a whole number of credits; owner, credits and price are
snapshotted from the server's catalog or its volume pricing (`pricing.quote`), and the
Checkout Session carries exactly that price as inline `price_data`, so what the buyer was
quoted is what Stripe charges. The Stripe call carries an idempotency key derived from the
purchase, so a retried call can never open a second session for it.
"""

import logging
from dataclasses import dataclass
from typing import Any

import stripe
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from credits_app.auth.hourly_caps import enforce_hourly_cap
from credits_app.billing.packages import PackageInfo, get_active_package
from credits_app.billing.pricing import Quote, quote
from credits_app.billing.purchase_keys import (
    PurchaseKey,
    is_key_claim,
    keyed_purchase,
    purchase_key,
)
from credits_app.billing.stripe_gateway import stripe_client
from credits_app.clock import utcnow
from credits_app.credits.amounts import format_credits
from credits_app.credits.errors import CreditsError, IdempotencyKeyInUse, InvalidArgument
from credits_app.credits.owners import WalletOwner
from credits_app.db import unit_of_work
from credits_app.models import Purchase
from credits_app.settings import get_settings

logger = logging.getLogger(__name__)

CUSTOM_AMOUNT = "custom"  # the Stripe metadata's package id of a custom-amount purchase


class PaymentProviderError(CreditsError):
    """Stripe could not open a Checkout Session; the purchase is marked failed, nothing charged."""

    code = "payment_provider_error"


@dataclass(frozen=True)
class CheckoutStarted:
    """Where to send the buyer, and the session that will report back."""

    purchase_id: int
    checkout_url: str
    session_id: str


@dataclass(frozen=True)
class Offer:
    """What one purchase sells, priced by the server: a package, or a custom amount's quote."""

    package_id: str | None  # None: a custom amount
    name: str
    paid_units: int  # credits paid for, in units (bonus not included)
    bonus_units: int
    price_minor: int
    currency: str
    bonus_expires_in_days: int | None = None
    unit_price_micros: int | None = None  # a custom amount's tier price

    @property
    def total_units(self) -> int:
        return self.paid_units + self.bonus_units

    @classmethod
    def of_package(cls, package: PackageInfo) -> "Offer":
        return cls(
            package_id=package.id,
            name=package.name,
            paid_units=int(package.credits.scaleb(4)),
            bonus_units=int(package.bonus_credits.scaleb(4)),
            price_minor=package.price_minor,
            currency=package.currency,
            bonus_expires_in_days=package.bonus_expires_in_days,
        )

    @classmethod
    def of_quote(cls, quoted: Quote) -> "Offer":
        days = get_settings().pricing_bonus_expires_days
        return cls(
            package_id=None,
            name="Custom amount",
            paid_units=quoted.credits_units,
            bonus_units=quoted.bonus_units,
            price_minor=quoted.price_minor,
            currency=quoted.currency,
            bonus_expires_in_days=(days or None) if quoted.bonus_units else None,
            unit_price_micros=quoted.unit_price_micros,
        )


def choose_offer(package_id: str | None = None, credits: object = None) -> Offer:
    """The offer a purchase request names: exactly one of a package id or a custom amount."""
    if (package_id is None) == (credits is None):
        raise InvalidArgument("Name either a packageId or a number of credits, not both.")
    if package_id is not None:
        return Offer.of_package(get_active_package(package_id))
    return Offer.of_quote(quote(credits))


def start_checkout(
    buyer_user_id: int,
    owner: WalletOwner,
    package_id: str | None = None,
    *,
    credits: object = None,
    return_path: str,
    idempotency_key: str | None = None,
) -> CheckoutStarted:
    """Create the pending purchase and its Checkout Session; `return_path` is the credits page.
    A replayed `idempotency_key` answers the session it opened (billing/purchase_keys.py)."""
    key = purchase_key(idempotency_key, owner, package_id, credits)
    if key is not None and (earlier := keyed_purchase(buyer_user_id, key)) is not None:
        return _started(earlier)
    offer = choose_offer(package_id, credits)
    client = stripe_client()  # before any row: unconfigured payments write nothing
    try:
        purchase_id = _create_pending_purchase(buyer_user_id, owner, offer, key)
    except IntegrityError as error:
        if key is None or not is_key_claim(error):
            raise
        # The same key, at the same moment: the other request's purchase is the answer.
        if (earlier := keyed_purchase(buyer_user_id, key)) is None:
            raise IdempotencyKeyInUse(key.key) from None
        return _started(earlier)
    try:
        session = client.v1.checkout.sessions.create(
            params=checkout_session_params(purchase_id, offer, owner, return_path),  # type: ignore[arg-type]
            options={"idempotency_key": checkout_idempotency_key(purchase_id)},
        )
    except stripe.StripeError as error:
        logger.error("Checkout Session for purchase %s failed: %s", purchase_id, error)
        _mark_failed(purchase_id)
        raise PaymentProviderError("The payment provider is unavailable; try again.") from None
    assert session.url is not None
    _attach_session(purchase_id, session.id, session.url)
    return CheckoutStarted(purchase_id, session.url, session.id)


def _started(purchase: Purchase) -> CheckoutStarted:
    """The answer a keyed purchase gave, again."""
    assert purchase.id is not None and purchase.checkout_url and purchase.stripe_session_id
    return CheckoutStarted(purchase.id, purchase.checkout_url, purchase.stripe_session_id)


def checkout_idempotency_key(purchase_id: int) -> str:
    """Stripe's retry key for the one Checkout Session a purchase may have."""
    return f"purchase-{purchase_id}-checkout-session"


def purchase_metadata(purchase_id: int, offer: Offer, owner: WalletOwner) -> dict[str, str]:
    """Metadata on the session and its payment intent, to find the purchase from any event."""
    return {
        "purchase_id": str(purchase_id),
        "package_id": offer.package_id or CUSTOM_AMOUNT,
        "wallet": f"{owner.kind.value}:{owner.id}",
    }


def checkout_session_params(
    purchase_id: int, offer: Offer, owner: WalletOwner, return_path: str
) -> dict[str, Any]:
    """The Checkout Session request: one line item priced inline at exactly the offer's price
    (never a Stripe Price object, whose amount could differ from our quote), ids in metadata."""
    base_url = get_settings().app_base_url.rstrip("/")
    metadata = purchase_metadata(purchase_id, offer, owner)
    return {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": offer.currency,
                    "unit_amount": offer.price_minor,
                    "product_data": {"name": product_name(offer)},
                },
            }
        ],
        "client_reference_id": str(purchase_id),
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata},
        "success_url": (
            f"{base_url}{return_path}?checkout=success&session_id={{CHECKOUT_SESSION_ID}}"
        ),
        "cancel_url": f"{base_url}{return_path}?checkout=cancel",
    }


def product_name(offer: Offer) -> str:
    """The line item's name on Checkout and the receipt: `Pro: 12,000 credits` (bonus included)."""
    return f"{offer.name}: {format_credits(offer.total_units)} credits"


def _create_pending_purchase(
    buyer_user_id: int, owner: WalletOwner, offer: Offer, key: PurchaseKey | None
) -> int:
    with unit_of_work() as db:
        enforce_hourly_cap(  # unpaid purchases opened by this buyer, for any wallet
            db,
            buyer_user_id,
            what="unpaid purchases",
            limit=get_settings().pending_purchases_per_hour,
            created_at=col(Purchase.created_at),
            conditions=[
                col(Purchase.buyer_user_id) == buyer_user_id,
                col(Purchase.status) == "pending",
            ],
        )
        purchase = Purchase(
            owner_kind=owner.kind.value,
            owner_id=owner.id,
            buyer_user_id=buyer_user_id,
            package_id=offer.package_id,
            credits=offer.total_units,
            bonus_credits=offer.bonus_units,
            price_minor=offer.price_minor,
            currency=offer.currency,
            bonus_expires_in_days=offer.bonus_expires_in_days,
            unit_price_micros=offer.unit_price_micros,
            idempotency_key=key.key if key else None,
            request_hash=key.request_hash if key else None,
        )
        db.add(purchase)
        db.flush()
        assert purchase.id is not None
        return purchase.id


def _attach_session(purchase_id: int, session_id: str, checkout_url: str) -> None:
    with unit_of_work() as db:
        purchase = db.get(Purchase, purchase_id)
        assert purchase is not None
        purchase.stripe_session_id = session_id
        purchase.checkout_url = checkout_url
        purchase.updated_at = utcnow()
        db.add(purchase)


def _mark_failed(purchase_id: int) -> None:
    """No session could be opened: the purchase failed, and its key is free for a retry."""
    with unit_of_work() as db:
        purchase = db.get(Purchase, purchase_id)
        if purchase is not None:
            purchase.status = "failed"
            purchase.idempotency_key = None
            purchase.request_hash = None
            purchase.updated_at = utcnow()
            db.add(purchase)
