"""Webhook endpoints of a user or an org: create (the secret is shown once), list, delete,
and the delivery log. Org endpoints are managed by owners and admins only; the callers (API,
UI) check that with `auth.organizations.require_manager` before calling here.
"""

import base64
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, insert, select
from sqlmodel import Session

from credits_app.clock import utcnow
from credits_app.credits.errors import CreditsError, InvalidArgument
from credits_app.credits.owners import WalletOwner
from credits_app.db import unit_of_work
from credits_app.models import WebhookDelivery, WebhookEndpoint
from credits_app.notifications.events import parse_event_types
from credits_app.notifications.publish import queue_delivery, record_event
from credits_app.notifications.stamps import as_utc
from credits_app.notifications.url_guard import check_url

endpoints = cast(Table, WebhookEndpoint.__table__)  # type: ignore[attr-defined]
deliveries = cast(Table, WebhookDelivery.__table__)  # type: ignore[attr-defined]
MAX_ENDPOINTS_PER_OWNER = 20
DELIVERY_LOG_LIMIT = 100
TEST_EVENT = "webhook.test"  # not subscribable: sent only by send_test_event


class EndpointNotFound(CreditsError):
    """No such endpoint on this wallet owner (another owner's is "not found" too)."""

    code = "webhook_endpoint_not_found"

    def __init__(self) -> None:
        super().__init__("No such webhook endpoint.")


@dataclass(frozen=True)
class Endpoint:
    """An endpoint as listed (never with its secret)."""

    id: int
    url: str
    events: list[str]
    created_at: datetime


@dataclass(frozen=True)
class CreatedEndpoint:
    """A new endpoint and its signing secret: the only time the secret is returned."""

    endpoint: Endpoint
    secret: str


@dataclass(frozen=True)
class Delivery:
    """One entry of an endpoint's delivery log."""

    id: int
    event_type: str
    status: str
    attempts: int
    last_status_code: int | None
    next_attempt_at: datetime | None
    created_at: datetime


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` + base64 of 24 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def create_endpoint(
    owner: WalletOwner, created_by: int, url: str, events: list[str]
) -> CreatedEndpoint:
    """Save an endpoint for `events` (at least one, all known) at an https public URL."""
    checked_url = check_url(url)
    subscribed = _check_events(events)
    secret = new_secret()
    now = utcnow()
    with unit_of_work() as db:
        if len(_rows(db, owner)) >= MAX_ENDPOINTS_PER_OWNER:
            raise InvalidArgument(
                f"At most {MAX_ENDPOINTS_PER_OWNER} webhook endpoints per wallet.", field="url"
            )
        endpoint_id = db.execute(
            insert(endpoints)
            .values(
                owner_kind=owner.kind.value,
                owner_id=owner.id,
                url=checked_url,
                events=subscribed,
                secret=secret,
                created_by=created_by,
                created_at=now,
            )
            .returning(endpoints.c.id)
        ).scalar_one()
    return CreatedEndpoint(Endpoint(int(endpoint_id), checked_url, subscribed, now), secret)


def list_endpoints(owner: WalletOwner) -> list[Endpoint]:
    """The owner's endpoints, oldest first, without secrets."""
    with unit_of_work() as db:
        return [_endpoint(row) for row in _rows(db, owner)]


def delete_endpoint(owner: WalletOwner, endpoint_id: int) -> None:
    """Remove an endpoint and its delivery log; pending deliveries are dropped."""
    with unit_of_work() as db:
        result = db.execute(delete(endpoints).where(_owned(owner, endpoint_id)))
        if not result.rowcount:  # type: ignore[attr-defined]
            raise EndpointNotFound()


def list_deliveries(owner: WalletOwner, endpoint_id: int) -> list[Delivery]:
    """The endpoint's newest deliveries first."""
    with unit_of_work() as db:
        if db.execute(select(endpoints.c.id).where(_owned(owner, endpoint_id))).first() is None:
            raise EndpointNotFound()
        rows = db.execute(
            select(deliveries)
            .where(deliveries.c.endpoint_id == endpoint_id)
            .order_by(deliveries.c.id.desc())
            .limit(DELIVERY_LOG_LIMIT)
        ).all()
    return [
        Delivery(
            id=row.id,
            event_type=row.event_type,
            status=row.status,
            attempts=row.attempts,
            last_status_code=row.last_status_code,
            next_attempt_at=as_utc(row.next_attempt_at) if row.next_attempt_at else None,
            created_at=as_utc(row.created_at),
        )
        for row in rows
    ]


def send_test_event(owner: WalletOwner, endpoint_id: int) -> int:
    """Queue a `webhook.test` delivery to this endpoint only (the "send test event" button)."""
    with unit_of_work() as db:
        if db.execute(select(endpoints.c.id).where(_owned(owner, endpoint_id))).first() is None:
            raise EndpointNotFound()
        data = {"message": "A test event from Universal Credits."}
        event_id = record_event(db, TEST_EVENT, owner, data)
        assert event_id is not None  # no dedupe key: always a new event
        return queue_delivery(db, endpoint_id, event_id, TEST_EVENT)


def _check_events(events: list[str]) -> list[str]:
    if not events:
        raise InvalidArgument("Subscribe to at least one event.", field="events")
    return parse_event_types(events)


def _rows(db: Session, owner: WalletOwner) -> list[Any]:
    return list(
        db.execute(
            select(endpoints)
            .where(endpoints.c.owner_kind == owner.kind.value, endpoints.c.owner_id == owner.id)
            .order_by(endpoints.c.id)
        ).all()
    )


def _owned(owner: WalletOwner, endpoint_id: int) -> Any:
    return (
        (endpoints.c.id == endpoint_id)
        & (endpoints.c.owner_kind == owner.kind.value)
        & (endpoints.c.owner_id == owner.id)
    )


def _endpoint(row: Any) -> Endpoint:
    return Endpoint(row.id, row.url, list(row.events), as_utc(row.created_at))
