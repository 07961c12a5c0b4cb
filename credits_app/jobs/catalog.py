"""Every job kind and periodic job of the app, registered in one place.

The worker (embedded or `python -m credits_app worker`) runs `default_registry()`; a kind's
handler lives with the package that owns the work.
"""

from datetime import timedelta

from credits_app.ai.conversations import purge_expired_conversations
from credits_app.auth.invitations import (
    INVITATION_EMAIL_RETRY,
    SEND_INVITATION_EMAIL,
    send_invitation_email,
)
from credits_app.billing.auto_recharge_runner import run_auto_recharge
from credits_app.billing.auto_recharge_trigger import AUTO_RECHARGE_JOB
from credits_app.billing.stripe_simulator import SIMULATED_EVENT_JOB
from credits_app.billing.stripe_simulator_delivery import deliver_simulated_event
from credits_app.credits.lot_expiry import sweep_expired_lots
from credits_app.jobs import maintenance
from credits_app.jobs.registry import Registry, RetryPolicy
from credits_app.notifications.delivery import deliver_webhook
from credits_app.notifications.email import send_alert_email
from credits_app.notifications.expiring import scan_expiring_lots
from credits_app.notifications.policies import (
    DELIVER_WEBHOOK,
    EMAIL_RETRY,
    SEND_EMAIL,
    WEBHOOK_RETRY,
)
from credits_app.settings import get_settings

RELEASE_EXPIRED_HOLDS = "holds.release_expired"
EXPIRE_LOTS = "lots.expire_due"
PRUNE_JOBS = "jobs.prune"
SCAN_EXPIRING = "notifications.expiring_scan"
PURGE_CONVERSATIONS = "ai.purge_conversations"


def default_registry() -> Registry:
    """The registry with all of the app's job kinds and periodic jobs."""
    registry = Registry()
    upkeep = RetryPolicy(max_attempts=3, base_seconds=10)
    registry.register(RELEASE_EXPIRED_HOLDS, maintenance.release_expired_holds_everywhere, upkeep)
    registry.register(EXPIRE_LOTS, lambda _job: sweep_expired_lots(), upkeep)
    registry.register(PRUNE_JOBS, maintenance.prune_finished_jobs, upkeep)
    registry.register(SCAN_EXPIRING, scan_expiring_lots, upkeep)
    registry.register(PURGE_CONVERSATIONS, lambda _job: purge_expired_conversations(), upkeep)
    registry.register(DELIVER_WEBHOOK, deliver_webhook, WEBHOOK_RETRY)
    registry.register(SEND_EMAIL, send_alert_email, EMAIL_RETRY)
    registry.register(SEND_INVITATION_EMAIL, send_invitation_email, INVITATION_EMAIL_RETRY)
    # Stripe unreachable: retried with the attempt's idempotency key (the same PaymentIntent).
    registry.register(AUTO_RECHARGE_JOB, run_auto_recharge, RetryPolicy(6, 15, 600))
    registry.register(SIMULATED_EVENT_JOB, deliver_simulated_event, upkeep)
    registry.every(
        RELEASE_EXPIRED_HOLDS,
        RELEASE_EXPIRED_HOLDS,
        lambda: timedelta(seconds=get_settings().expiry_sweep_seconds),
    )
    # Idle wallets' due lots get their expiry entries (writes and reads never wait for this).
    registry.every(
        EXPIRE_LOTS, EXPIRE_LOTS, lambda: timedelta(seconds=get_settings().expiry_sweep_seconds)
    )
    registry.every(PRUNE_JOBS, PRUNE_JOBS, lambda: timedelta(hours=1))
    # credits.expiring, 7 days ahead, once per lot (the event's dedupe key is the lot).
    registry.every(SCAN_EXPIRING, SCAN_EXPIRING, lambda: timedelta(hours=1))
    # 2Bot conversations idle past AI_CONVERSATION_RETENTION_DAYS (reads hide them until then).
    registry.every(PURGE_CONVERSATIONS, PURGE_CONVERSATIONS, lambda: timedelta(hours=1))
    return registry
