"""Saved cards: a setup-mode Checkout Session per request, one Stripe Customer per wallet, and
the one card a wallet's auto-recharge charges (brand, last4, fingerprint, expiry).

The card is stored only from what Stripe reports for a completed setup session of ours
(retrieved from Stripe, never taken from the event body), so a forged or replayed event cannot
attach someone else's card. Saving a card whose fingerprint differs from the one that got
auto-recharge suspended lifts the suspension (DESIGN §4b); the same card again does not.
"""

import logging
from dataclasses import dataclass
from typing import Any

import stripe
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from credits_app.auth.organizations import require_manager, require_member
from credits_app.billing.checkout import PaymentProviderError
from credits_app.billing.stripe_gateway import stripe_client
from credits_app.clock import utcnow
from credits_app.credits.categories import OwnerKind
from credits_app.credits.errors import CreditsError
from credits_app.credits.owners import WalletOwner
from credits_app.credits.wallet_service import find_wallet, open_wallet
from credits_app.db import unit_of_work
from credits_app.models import AutoRechargeSetting, BillingCustomer, SavedPaymentMethod
from credits_app.settings import get_settings

logger = logging.getLogger(__name__)


class PaymentMethodNotFound(CreditsError):
    """The wallet has no saved card (removing it twice, or charging without one)."""

    code = "payment_method_not_found"

    def __init__(self) -> None:
        super().__init__("This wallet has no saved payment method.")


@dataclass(frozen=True)
class SetupStarted:
    """Where to send the user to save a card, and the session that will report back."""

    checkout_url: str
    session_id: str


@dataclass(frozen=True)
class CardInfo:
    """The saved card as the API and UI show it (never the full number: Stripe keeps that)."""

    brand: str
    last4: str
    exp_month: int
    exp_year: int
    fingerprint: str


def authorize(actor_user_id: int, owner: WalletOwner, *, manage: bool) -> None:
    """Personal wallets: only their user. Org wallets: members read, owners/admins manage.

    Outsiders see `OrgNotFound` (404), as for an org that does not exist.
    """
    if owner.kind is OwnerKind.USER:
        if owner.id != actor_user_id:
            raise PaymentMethodNotFound()
        return
    if manage:
        require_manager(actor_user_id, owner.id)
    else:
        require_member(actor_user_id, owner.id)


def start_card_setup(actor_user_id: int, owner: WalletOwner, *, return_path: str) -> SetupStarted:
    """Open a setup-mode Checkout Session for the wallet's Customer (made on first use)."""
    authorize(actor_user_id, owner, manage=True)
    client = stripe_client()
    wallet_id = _wallet_id(owner)
    try:
        customer_id = _customer_id(client, wallet_id, owner)
        base_url = get_settings().app_base_url.rstrip("/")
        session = client.v1.checkout.sessions.create(
            params={  # type: ignore[arg-type]
                "mode": "setup",
                "customer": customer_id,
                "payment_method_types": ["card"],
                "client_reference_id": f"wallet-{wallet_id}",
                "metadata": {
                    "kind": "card_setup",
                    "wallet_id": str(wallet_id),
                    "user_id": str(actor_user_id),
                },
                "setup_intent_data": {"metadata": {"wallet_id": str(wallet_id)}},
                "success_url": (
                    f"{base_url}{return_path}?tab=settings&card=saved"
                    "&session_id={CHECKOUT_SESSION_ID}"
                ),
                "cancel_url": f"{base_url}{return_path}?tab=settings&card=cancel",
            }
        )
    except stripe.StripeError as error:
        logger.error("Setup session for wallet %s failed: %s", wallet_id, error)
        raise PaymentProviderError("The payment provider is unavailable; try again.") from None
    assert session.url is not None
    return SetupStarted(session.url, session.id)


def complete_card_setup(session_id: str) -> str:
    """A setup session completed (webhook or return page): store its card for the wallet.

    Idempotent: the same session stores the same card again. Returns what happened.
    """
    client = stripe_client()
    session = client.v1.checkout.sessions.retrieve(session_id).to_dict()
    metadata = session.get("metadata") or {}
    if session.get("mode") != "setup" or session.get("status") != "complete":
        return "ignored"
    wallet_id = str(metadata.get("wallet_id") or "")
    setup_intent_id = session.get("setup_intent")
    if not wallet_id.isdigit() or not isinstance(setup_intent_id, str):
        return "ignored"
    setup = client.v1.setup_intents.retrieve(setup_intent_id).to_dict()
    method_id = setup.get("payment_method")
    if setup.get("status") != "succeeded" or not isinstance(method_id, str):
        return "ignored"
    method = client.v1.payment_methods.retrieve(method_id).to_dict()
    card = method.get("card") or {}
    with unit_of_work() as db:
        customer = db.get(BillingCustomer, int(wallet_id))
        if customer is None or customer.stripe_customer_id != session.get("customer"):
            logger.warning(
                "Setup session %s is not for wallet %s's customer", session_id, wallet_id
            )
            return "ignored"
        user = str(metadata.get("user_id") or "")
        store_card(
            db,
            int(wallet_id),
            SavedPaymentMethod(
                wallet_id=int(wallet_id),
                stripe_payment_method_id=method_id,
                stripe_customer_id=customer.stripe_customer_id,
                brand=str(card.get("brand") or "card")[:32],
                last4=str(card.get("last4") or "")[-4:],
                fingerprint=str(card.get("fingerprint") or method_id)[:64],
                exp_month=int(card.get("exp_month") or 0),
                exp_year=int(card.get("exp_year") or 0),
                setup_session_id=session_id,
                saved_by_user_id=int(user) if user.isdigit() else None,
            ),
        )
    return "card_saved"


def store_card(db: Session, wallet_id: int, card: SavedPaymentMethod) -> None:
    """Replace the wallet's card; a different fingerprint lifts a suspension, any new card
    ends a wait for authentication."""
    existing = db.get(SavedPaymentMethod, wallet_id)
    if existing is not None:
        if existing.stripe_payment_method_id == card.stripe_payment_method_id:
            return
        db.delete(existing)
        db.flush()
    db.add(card)
    rule = db.get(AutoRechargeSetting, wallet_id, with_for_update=True)
    if rule is not None:
        if rule.suspended and card.fingerprint != rule.suspended_fingerprint:
            rule.suspended = False
            rule.consecutive_failures = 0
            rule.paused_until = None
        rule.awaiting_action = False
        rule.updated_at = utcnow()
        db.add(rule)
    db.flush()
    from credits_app.billing.auto_recharge import sync_trigger

    sync_trigger(db, wallet_id)


def remove_card(actor_user_id: int, owner: WalletOwner) -> None:
    """Forget the wallet's card (at Stripe it stays on the Customer, unused by us)."""
    authorize(actor_user_id, owner, manage=True)
    with unit_of_work() as db:
        wallet = find_wallet(db, owner)
        card = db.get(SavedPaymentMethod, wallet.id) if wallet else None
        if wallet is None or card is None:
            raise PaymentMethodNotFound()
        db.delete(card)
        db.flush()
        from credits_app.billing.auto_recharge import sync_trigger

        sync_trigger(db, wallet.id)


def saved_card(db: Session, wallet_id: int) -> CardInfo | None:
    """The wallet's card, if one is saved."""
    card = db.get(SavedPaymentMethod, wallet_id)
    if card is None:
        return None
    return CardInfo(card.brand, card.last4, card.exp_month, card.exp_year, card.fingerprint)


def _wallet_id(owner: WalletOwner) -> int:
    with unit_of_work() as db:
        wallet = find_wallet(db, owner)
        return wallet.id if wallet else open_wallet(db, owner)


def _customer_id(client: stripe.StripeClient, wallet_id: int, owner: WalletOwner) -> str:
    """The wallet's Stripe Customer; created once (an idempotency key per wallet makes a
    concurrent first use create one customer, and the table's primary key keeps one row)."""
    with unit_of_work() as db:
        row = db.get(BillingCustomer, wallet_id)
        if row is not None:
            return row.stripe_customer_id
    params: dict[str, Any] = {
        "metadata": {"wallet_id": str(wallet_id), "owner": f"{owner.kind.value}:{owner.id}"},
    }
    customer = client.v1.customers.create(
        params=params,  # type: ignore[arg-type]
        options={"idempotency_key": f"wallet-{wallet_id}-customer"},
    )
    try:
        with unit_of_work() as db:
            if db.get(BillingCustomer, wallet_id) is None:
                db.add(BillingCustomer(wallet_id=wallet_id, stripe_customer_id=customer.id))
    except IntegrityError:  # a concurrent first use stored the same (idempotent) customer
        pass
    return customer.id


def get_card(actor_user_id: int, owner: WalletOwner) -> CardInfo | None:
    """The wallet's saved card as any member sees it."""
    authorize(actor_user_id, owner, manage=False)
    with unit_of_work() as db:
        wallet = find_wallet(db, owner)
        return saved_card(db, wallet.id) if wallet else None
