"""A purchase request's Idempotency-Key (DESIGN §3, §4b): a retried request opens nothing new.

The key belongs to the buyer. The first request stores it on its pending purchase with a hash
of what was asked for (wallet, package or custom amount). A replay then answers that
purchase's Checkout Session, and the same key with another request is a 409
`idempotency_conflict`. Only an answered request keeps its key. If Stripe could not open the
session, the key is released with the failed purchase, so a retry opens a new one (Stripe also
keeps no key for a request it could not serve). While the first request is still waiting for
Stripe, a second one gets a 409 `idempotency_key_in_use` and can retry a moment later.
"""

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from credits_app.credits.drafts import request_fingerprint
from credits_app.credits.errors import IdempotencyConflict, IdempotencyKeyInUse
from credits_app.credits.owners import WalletOwner
from credits_app.db import read_only, violates
from credits_app.models import Purchase

KEY_INDEX = "uq_purchases_buyer_idempotency_key"


@dataclass(frozen=True)
class PurchaseKey:
    """The client's key and the fingerprint of the request it came with."""

    key: str
    request_hash: str


def purchase_key(
    idempotency_key: str | None, owner: WalletOwner, package_id: str | None, credits: object
) -> PurchaseKey | None:
    """The key of a purchase request (None without one). The hash covers what the client
    asked for, not the price: a replay after a catalog change still answers the original."""
    if idempotency_key is None:
        return None
    asked = [owner.kind.value, owner.id, package_id, None if credits is None else str(credits)]
    return PurchaseKey(idempotency_key, request_fingerprint(asked))


def keyed_purchase(buyer_user_id: int, key: PurchaseKey) -> Purchase | None:
    """The answered purchase this key already names, or None if the key is new.

    Raises `IdempotencyConflict` for a different request and `IdempotencyKeyInUse` while
    the first request waits for its Checkout Session.
    """
    with read_only() as db:
        purchase = db.exec(
            select(Purchase).where(
                col(Purchase.buyer_user_id) == buyer_user_id,
                col(Purchase.idempotency_key) == key.key,
            )
        ).one_or_none()
    if purchase is None:
        return None
    if purchase.request_hash != key.request_hash:
        raise IdempotencyConflict(key.key)
    if purchase.checkout_url is None or purchase.stripe_session_id is None:
        raise IdempotencyKeyInUse(key.key)
    return purchase


def is_key_claim(error: IntegrityError) -> bool:
    """The insert failed on `uq_purchases_buyer_idempotency_key`: the buyer's key is taken."""
    return violates(error, KEY_INDEX, sqlite_columns="purchases.idempotency_key")
