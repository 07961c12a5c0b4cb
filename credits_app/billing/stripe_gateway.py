"""The one place that decides which Stripe we talk to: real Stripe, a test server or the simulator.

- `STRIPE_SECRET_KEY` set: real Stripe (or `STRIPE_API_BASE`, e.g. a test server or stripe-mock).
- unset: the built-in checkout simulator (`stripe_simulator.py`), reached through stripe-python's
  own request pipeline with an in-process HTTP client, so the code path is the same as in
  production. Dev only: the simulator pages refuse to run once a real key is configured.
"""

import stripe
from stripe._base_address import BaseAddresses

from credits_app.credits.errors import CreditsError
from credits_app.settings import get_settings

SIMULATOR_API_KEY = "sk_test_local_simulator"
SIMULATOR_WEBHOOK_SECRET = "whsec_local_simulator_not_secret"


class StripeNotConfigured(CreditsError):
    """A real Stripe key is set but the webhook secret is not, so events cannot be verified."""

    code = "stripe_not_configured"

    def __init__(self) -> None:
        super().__init__("STRIPE_WEBHOOK_SECRET is not set; webhooks cannot be verified.")


def simulator_enabled() -> bool:
    """True in the embedded default (no Stripe key): purchases go to the local simulator."""
    return not get_settings().stripe_secret_key


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
    from credits_app.billing.stripe_simulator import SimulatorHTTPClient

    return stripe.StripeClient(SIMULATOR_API_KEY, http_client=SimulatorHTTPClient())


def webhook_secret() -> str:
    """The secret webhook signatures are checked against."""
    settings = get_settings()
    if settings.stripe_webhook_secret:
        return settings.stripe_webhook_secret
    if simulator_enabled():
        return SIMULATOR_WEBHOOK_SECRET
    raise StripeNotConfigured()
