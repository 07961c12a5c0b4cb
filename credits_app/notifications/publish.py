"""Publish an event: the event row, its in-app notifications, and the jobs that deliver it.

Everything is written on the caller's session, inside the transaction of the change that
caused the event (a balance move): a rolled-back change tells nobody, a committed one always
has its notifications and its queued deliveries (the transactional outbox of DESIGN §8).
"""

from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from credits_app.clock import utcnow
from credits_app.credits.categories import OwnerKind
from credits_app.credits.owners import WalletOwner
from credits_app.jobs.outbox import enqueue
from credits_app.models import (
    Membership,
    Notification,
    NotificationEvent,
    Organization,
    WebhookDelivery,
    WebhookEndpoint,
)
from credits_app.notifications.email import wants_email
from credits_app.notifications.events import EventType, render
from credits_app.notifications.live import announce
from credits_app.notifications.policies import DELIVER_WEBHOOK, SEND_EMAIL, WEBHOOK_RETRY

events_table = cast(Table, NotificationEvent.__table__)  # type: ignore[attr-defined]
notifications = cast(Table, Notification.__table__)  # type: ignore[attr-defined]
endpoints = cast(Table, WebhookEndpoint.__table__)  # type: ignore[attr-defined]
deliveries = cast(Table, WebhookDelivery.__table__)  # type: ignore[attr-defined]
memberships = cast(Table, Membership.__table__)  # type: ignore[attr-defined]
# auth.organizations.MANAGER_ROLES, spelled out: auth imports the ledger, which imports us
# (a unit test keeps the two equal).
ALERTED_ROLES = ("owner", "admin")
organizations = cast(Table, Organization.__table__)  # type: ignore[attr-defined]


def publish(
    db: Session,
    event: EventType,
    owner: WalletOwner,
    data: Mapping[str, Any],
    *,
    dedupe_key: str | None = None,
) -> int | None:
    """Record `event` about `owner`'s wallet and queue its deliveries; None if a duplicate."""
    now = utcnow()
    event_id = record_event(db, event.value, owner, data, dedupe_key)
    if event_id is None:
        return None
    title, text = render(event, _wallet_label(db, owner), dict(data))
    told = recipients(db, owner)
    announce(db, told)  # their open tabs' bells update once this transaction commits
    for user_id in told:
        notification_id = db.execute(
            insert(notifications)
            .values(
                user_id=user_id,
                event_id=event_id,
                kind=event.value,
                title=title,
                body=text,
                created_at=now,
            )
            .returning(notifications.c.id)
        ).scalar_one()
        if wants_email(db, user_id, event):
            enqueue(db, SEND_EMAIL, {"notificationId": notification_id})
    for endpoint_id in _subscribed_endpoints(db, owner, event):
        queue_delivery(db, endpoint_id, event_id, event.value)
    return event_id


def record_event(
    db: Session,
    event_type: str,
    owner: WalletOwner,
    data: Mapping[str, Any],
    dedupe_key: str | None = None,
) -> int | None:
    """Insert the event row (`{wallet, ...data}`); None when `dedupe_key` was seen before."""
    body = {"wallet": {"type": owner.kind.value, "id": owner.id}} | dict(data)
    dialect = db.get_bind().dialect.name
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(events_table)
    statement = statement.values(
        type=event_type,
        owner_kind=owner.kind.value,
        owner_id=owner.id,
        data=body,
        dedupe_key=dedupe_key,
        created_at=utcnow(),
    )
    if dedupe_key is not None:
        statement = statement.on_conflict_do_nothing(index_elements=["dedupe_key"])
    event_id = db.execute(statement.returning(events_table.c.id)).scalar_one_or_none()
    return None if event_id is None else int(event_id)


def queue_delivery(db: Session, endpoint_id: int, event_id: int, event_type: str) -> int:
    """A pending delivery of the event to the endpoint, and the outbox job that sends it."""
    delivery_id = db.execute(
        insert(deliveries)
        .values(
            endpoint_id=endpoint_id,
            event_id=event_id,
            event_type=event_type,
            status="pending",
            attempts=0,
            next_attempt_at=utcnow(),
            created_at=utcnow(),
        )
        .returning(deliveries.c.id)
    ).scalar_one()
    enqueue(
        db, DELIVER_WEBHOOK, {"deliveryId": delivery_id}, max_attempts=WEBHOOK_RETRY.max_attempts
    )
    return int(delivery_id)


def recipients(db: Session, owner: WalletOwner) -> list[int]:
    """Who is told: the user of a personal wallet; the owners and admins of an org."""
    if owner.kind is OwnerKind.USER:
        return [owner.id]
    rows = db.execute(
        select(memberships.c.user_id)
        .where(
            memberships.c.org_id == owner.id,
            memberships.c.role.in_(ALERTED_ROLES),
        )
        .order_by(memberships.c.user_id)
    ).scalars()
    return [int(user_id) for user_id in rows]


def _wallet_label(db: Session, owner: WalletOwner) -> str:
    if owner.kind is OwnerKind.USER:
        return "Your wallet"
    name = db.execute(
        select(organizations.c.name).where(organizations.c.id == owner.id)
    ).scalar_one_or_none()
    return f"The {name} wallet" if name else "The organization wallet"


def _subscribed_endpoints(db: Session, owner: WalletOwner, event: EventType) -> list[int]:
    rows = db.execute(
        select(endpoints.c.id, endpoints.c.events).where(
            endpoints.c.owner_kind == owner.kind.value, endpoints.c.owner_id == owner.id
        )
    ).all()
    return [int(endpoint_id) for endpoint_id, subscribed in rows if event.value in subscribed]
