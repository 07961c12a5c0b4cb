"""The one place that decides which Stripe we talk to: real Stripe, a test server or the simulator.

- `STRIPE_SECRET_KEY` set: real Stripe (or `STRIPE_API_BASE`, e.g. a test server or stripe-mock).
- unset and `STRIPE_SIMULATOR=true`: the built-in checkout simulator (`stripe_simulator.py`),
  reached through stripe-python's own request pipeline with an in-process HTTP client, so the
  code path is the same as in production. Its events are signed with a random secret made once
  per database (`app_secrets`), never a constant anyone can read in the source.
- neither: payments are not configured; purchases and webhooks answer 503
  `payments_not_configured` (the simulator used to switch itself on here, even in production,
  handing out free credits).
"""

import logging
import secrets
from weakref import WeakKeyDictionary

import stripe
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from stripe._base_address import BaseAddresses

from credits_app.credits.errors import CreditsError
from credits_app.db import get_engine, unit_of_work
from credits_app.models import AppSecret
from credits_app.settings import get_settings

logger = logging.getLogger(__name__)

SIMULATOR_API_KEY = "sk_test_local_simulator"
SIMULATOR_SECRET_NAME = "stripe_simulator_webhook_secret"
_simulator_secrets: WeakKeyDictionary[Engine, str] = WeakKeyDictionary()  # per database


class StripeNotConfigured(CreditsError):
    """A real Stripe key is set but the webhook secret is not, so events cannot be verified."""

    code = "stripe_not_configured"

    def __init__(self) -> None:
        super().__init__("STRIPE_WEBHOOK_SECRET is not set; webhooks cannot be verified.")


class PaymentsNotConfigured(CreditsError):
    """Neither a Stripe key nor STRIPE_SIMULATOR=true: nothing can be bought (503)."""

    code = "payments_not_configured"

    def __init__(self) -> None:
        super().__init__(
            "Payments are not configured: set STRIPE_SECRET_KEY (or STRIPE_SIMULATOR=true "
            "for the local test-mode simulator)."
        )


def simulator_enabled() -> bool:
    """True only when opted into (STRIPE_SIMULATOR=true) and no real key is configured."""
    settings = get_settings()
    return settings.stripe_simulator and not settings.stripe_secret_key


def warn_if_simulator_enabled() -> None:
    """Say loudly, at startup, that purchases are fake: anyone signed in can buy for free."""
    if simulator_enabled():
        logger.warning(
            "\n%s\n!!! STRIPE SIMULATOR IS ON (STRIPE_SIMULATOR=true, no STRIPE_SECRET_KEY): "
            "purchases are test mode, no money moves, every 'Pay' credits for free. "
            "Never run this in production.\n%s",
            "!" * 100,
            "!" * 100,
        )


def stripe_client() -> stripe.StripeClient:
    """A client for the configured Stripe; retries network errors with Stripe's own backoff."""
    settings = get_settings()
    if settings.stripe_secret_key:
        base: BaseAddresses | None = (
            {"api": settings.stripe_api_base} if settings.stripe_api_base else None
        )
        return stripe.StripeClient(
            settings.stripe_secret_key, base_addresses=base, max_network_retries=2
        )
    if not simulator_enabled():
        raise PaymentsNotConfigured()
    from credits_app.billing.stripe_simulator import SimulatorHTTPClient

    return stripe.StripeClient(SIMULATOR_API_KEY, http_client=SimulatorHTTPClient())


def webhook_secret() -> str:
    """The secret webhook signatures are checked against."""
    settings = get_settings()
    if settings.stripe_webhook_secret:
        return settings.stripe_webhook_secret
    if simulator_enabled():
        return simulator_webhook_secret()
    if settings.stripe_secret_key:
        raise StripeNotConfigured()
    raise PaymentsNotConfigured()


def simulator_webhook_secret() -> str:
    """This database's simulator signing secret, made on first use (the first writer wins).

    Kept per engine once read: the row never changes after it is made, and every webhook
    delivery checks against it (a query per delivery was a third of a redelivery's cost)."""
    engine = get_engine()
    secret = _simulator_secrets.get(engine)
    if secret is None:
        secret = _simulator_secrets[engine] = _load_or_make_simulator_secret()
    return secret


def _load_or_make_simulator_secret() -> str:
    with unit_of_work() as db:
        row = db.get(AppSecret, SIMULATOR_SECRET_NAME)
        if row is not None:
            return row.value
    fresh = "whsec_" + secrets.token_urlsafe(32)
    try:
        with unit_of_work() as db:
            db.add(AppSecret(name=SIMULATOR_SECRET_NAME, value=fresh))
        return fresh
    except IntegrityError:  # another instance or worker made it first
        with unit_of_work() as db:
            row = db.get(AppSecret, SIMULATOR_SECRET_NAME)
            assert row is not None
            return row.value
