"""The simulator's webhook deliveries: a job per event, signed and handed to the real handler.

Stripe answers an API call first and sends the events it caused afterwards, at least once; the
in-process simulator does the same through the outbox (`stripe_simulator._queue_deliveries`),
so the webhook code path (signature, dedupe by event id, handlers) is the one real Stripe uses.
"""

from credits_app.billing.stripe_gateway import webhook_secret
from credits_app.billing.stripe_simulator import signed_event
from credits_app.billing.webhooks import handle_stripe_webhook
from credits_app.jobs.registry import JobContext


def deliver_simulated_event(job: JobContext) -> None:
    """Sign one simulated event with this database's secret and deliver it."""
    payload, header = signed_event(job.payload["type"], job.payload["object"], webhook_secret())
    handle_stripe_webhook(payload, header)
