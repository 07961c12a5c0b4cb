"""Job kinds of the notifications package and their retry policies.

A webhook delivery is retried with exponential backoff (30 s doubling, capped at 3 h) for
24 h after the event; then the delivery is marked failed. The job's own attempt limit is set
high enough that the 24-hour rule, not the job layer, decides when to give up.
"""

from datetime import timedelta

from credits_app.jobs.registry import RetryPolicy

DELIVER_WEBHOOK = "webhook.deliver"
SEND_EMAIL = "email.send"

WEBHOOK_RETRY = RetryPolicy(max_attempts=60, base_seconds=30, cap_seconds=3 * 3600)
WEBHOOK_RETRY_FOR = timedelta(hours=24)
EMAIL_RETRY = RetryPolicy(max_attempts=8, base_seconds=30, cap_seconds=3600)
