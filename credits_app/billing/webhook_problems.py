"""Signed Stripe deliveries we can never handle: recorded for an operator, then acknowledged.

Stripe retries every non-2xx answer for three days. A malformed event (`[]`, no `data`, a
session without an id, `amount_refunded: "abc"`) or one about a session Stripe does not know
will be just as wrong on every retry, so it is written here (`python -m credits_app webhooks
problems` lists them) and answered 200. Only transient failures (Stripe or the database
unreachable) are answered 5xx, so that Stripe's retry does the work later.
"""

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from credits_app.db import unit_of_work
from credits_app.models import StripeEvent, StripeWebhookProblem

logger = logging.getLogger(__name__)

MAX_EVENT_ID_LENGTH = 255
MAX_EVENT_TYPE_LENGTH = 100
MAX_MESSAGE_LENGTH = 500


class WebhookProblem(Exception):
    """A permanent problem with a genuine delivery: `code` says which (see the README)."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        event_id: str | None = None,
        event_type: str | None = None,
        outcome: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.outcome = outcome or f"problem: {code}"  # what the webhook answers with
        self.event_id = event_id  # when the event's own id (and type) could be read
        self.event_type = event_type


@dataclass(frozen=True)
class RecordedProblem:
    """One recorded problem, as the CLI lists it."""

    id: int
    received_at: datetime
    event_id: str | None
    event_type: str | None
    code: str
    message: str


def record_problem(payload: bytes, problem: WebhookProblem) -> str:
    """Write the problem (and, for a usable event id and type, the event as handled, so a
    redelivery is a duplicate) in one transaction; returns the outcome to answer with."""
    event_id, event_type = problem.event_id, problem.event_type
    outcome = problem.outcome
    # The message itself is in the table (`webhooks problems`); the log line says where to look.
    logger.warning("Stripe webhook problem %s recorded (event %s)", problem.code, event_id)
    row = StripeWebhookProblem(
        event_id=event_id,
        event_type=event_type,
        code=problem.code,
        message=problem.message[:MAX_MESSAGE_LENGTH],
        payload_sha256=hashlib.sha256(payload).hexdigest(),
    )
    try:
        with unit_of_work() as db:
            db.add(row)
            if event_id is not None and event_type is not None:
                db.add(StripeEvent(id=event_id, type=event_type, outcome=outcome))
    except IntegrityError:  # a concurrent delivery of the same event recorded it first
        logger.info("Stripe event %s was recorded concurrently", event_id)
    return outcome


def list_problems(limit: int = 50) -> list[RecordedProblem]:
    """The most recent problems first."""
    query = (
        select(StripeWebhookProblem)
        .order_by(col(StripeWebhookProblem.id).desc())
        .limit(max(1, min(limit, 10_000)))
    )
    with unit_of_work() as db:
        rows = db.exec(query).all()
    return [
        RecordedProblem(
            id=row.id or 0,
            received_at=row.received_at,
            event_id=row.event_id,
            event_type=row.event_type,
            code=row.code,
            message=row.message,
        )
        for row in rows
    ]
