"""Deliver one webhook: sign it (Standard Webhooks), POST it, record the attempt.

The job handler for `webhook.deliver`. It is idempotent: a delivered or failed delivery is
left alone, and a retry (after a 5xx, a timeout, or a worker killed mid-request) sends the
same body with the same `webhook-id`, so receivers dedupe by it. Signing uses the
`standardwebhooks` package. The request never follows redirects (httpcore does not), reads at
most `MAX_RESPONSE_BYTES` of the answer, and gives up after WEBHOOK_TIMEOUT_SECONDS in total;
the connection goes only to a public address (`url_guard`).
"""

import json
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import httpcore
from sqlalchemy import Table, select, update
from standardwebhooks.webhooks import Webhook

from credits_app.clock import utcnow
from credits_app.db import unit_of_work
from credits_app.jobs.registry import JobContext, RetryLater
from credits_app.models import NotificationEvent, WebhookDelivery, WebhookEndpoint
from credits_app.notifications.policies import WEBHOOK_RETRY, WEBHOOK_RETRY_FOR
from credits_app.notifications.stamps import as_utc
from credits_app.notifications.url_guard import GuardedBackend
from credits_app.settings import get_settings

deliveries = cast(Table, WebhookDelivery.__table__)  # type: ignore[attr-defined]
endpoints = cast(Table, WebhookEndpoint.__table__)  # type: ignore[attr-defined]
events = cast(Table, NotificationEvent.__table__)  # type: ignore[attr-defined]

MAX_RESPONSE_BYTES = 64 * 1024
USER_AGENT = "UniversalCredits-Webhooks/1"


@dataclass(frozen=True)
class Outcome:
    """One attempt: the status code (None when no answer) and what went wrong, if anything."""

    status_code: int | None
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True)
class PendingDelivery:
    """What an attempt needs, read in one short transaction."""

    id: int
    url: str
    secret: str
    body: str
    created_at: datetime
    attempts: int


def message_id(delivery_id: int) -> str:
    """The `webhook-id`: one per delivery, the same on every retry of it."""
    return f"msg_{delivery_id}"


def webhook_body(event_type: str, created_at: datetime, data: dict[str, Any]) -> str:
    """`{type, timestamp, data}` of §4b, serialised the same way on every attempt."""
    payload = {"type": event_type, "timestamp": as_utc(created_at).isoformat(), "data": data}
    return json.dumps(payload, separators=(",", ":"), sort_keys=True)


def deliver_webhook(job: JobContext) -> None:
    """Job handler: one attempt of the delivery in the payload; `RetryLater` on failure."""
    pending = _load(int(job.payload["deliveryId"]))
    if pending is None:
        return  # delivered, failed for good, or its endpoint was deleted
    outcome = send(pending)
    attempts = pending.attempts + 1
    now = utcnow()
    values: dict[str, Any] = {
        "attempts": attempts,
        "last_status_code": outcome.status_code,
        "last_error": (outcome.error or "")[:500] or None,
    }
    delay = WEBHOOK_RETRY.delay(attempts)
    if outcome.delivered:
        values |= {"status": "delivered", "delivered_at": now, "next_attempt_at": None}
    elif now + delay > pending.created_at + WEBHOOK_RETRY_FOR:
        values |= {"status": "failed", "next_attempt_at": None}
    else:
        values |= {"next_attempt_at": now + delay}
    with unit_of_work() as db:
        db.execute(
            update(deliveries)
            .where(deliveries.c.id == pending.id, deliveries.c.status == "pending")
            .values(**values)
        )
    if values.get("status") is None:
        raise RetryLater(delay, f"delivery {pending.id}: {outcome.error or outcome.status_code}")


def send(pending: PendingDelivery) -> Outcome:
    """POST the signed body once; never raises for network trouble, reports it instead."""
    msg_id = message_id(pending.id)
    sent_at = utcnow()
    signature = Webhook(pending.secret).sign(msg_id, sent_at, pending.body)
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": signature,
    }
    budget = get_settings().webhook_timeout_seconds
    deadline = time.monotonic() + budget
    timeouts = {"connect": budget, "read": budget, "write": budget, "pool": budget}
    try:
        with (
            httpcore.ConnectionPool(network_backend=GuardedBackend(), retries=0) as pool,
            pool.stream(
                "POST",
                pending.url,
                headers=list(headers.items()),
                content=pending.body.encode(),
                extensions={"timeout": timeouts},
            ) as response,
        ):
            read = 0
            for chunk in response.iter_stream():
                read += len(chunk)
                if read > MAX_RESPONSE_BYTES or time.monotonic() > deadline:
                    break  # the status is all we need; a huge or slow body is not waited for
            return Outcome(response.status, None if response.status < 300 else "non-2xx answer")
    except httpcore.TimeoutException:
        return Outcome(None, f"no answer within {budget:g}s")
    except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.UnsupportedProtocol) as error:
        return Outcome(None, str(error) or type(error).__name__)


def _load(delivery_id: int) -> PendingDelivery | None:
    with unit_of_work() as db:
        row = db.execute(
            select(
                deliveries.c.id,
                deliveries.c.attempts,
                endpoints.c.url,
                endpoints.c.secret,
                events.c.type,
                events.c.data,
                events.c.created_at,
            )
            .join(endpoints, endpoints.c.id == deliveries.c.endpoint_id)
            .join(events, events.c.id == deliveries.c.event_id)
            .where(deliveries.c.id == delivery_id, deliveries.c.status == "pending")
        ).one_or_none()
    if row is None:
        return None
    created_at = as_utc(row.created_at)
    return PendingDelivery(
        id=row.id,
        url=row.url,
        secret=row.secret,
        body=webhook_body(row.type, created_at, dict(row.data)),
        created_at=created_at,
        attempts=row.attempts,
    )
