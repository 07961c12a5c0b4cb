"""Bodies of the notification and webhook-endpoint routes (DESIGN §4b), camelCase JSON."""

from datetime import datetime
from typing import Literal

from pydantic import Field

from credits_app.api.schemas import Body, WalletRef
from credits_app.notifications.email import EmailSettings
from credits_app.notifications.endpoints import CreatedEndpoint, Delivery, Endpoint
from credits_app.notifications.events import EventType
from credits_app.notifications.inbox import NotificationItem, NotificationPage


class NotificationOut(Body):
    id: int
    kind: str
    title: str
    body: str
    wallet: WalletRef
    created_at: datetime
    read_at: datetime | None

    @classmethod
    def of(cls, item: NotificationItem) -> "NotificationOut":
        return cls(
            id=item.id,
            kind=item.kind,
            title=item.title,
            body=item.body,
            wallet=WalletRef(type=item.wallet_type, id=item.wallet_id),
            created_at=item.created_at,
            read_at=item.read_at,
        )


class NotificationsOut(Body):
    items: list[NotificationOut]
    unread_count: int
    next_cursor: str | None

    @classmethod
    def of(cls, page: NotificationPage) -> "NotificationsOut":
        return cls(
            items=[NotificationOut.of(item) for item in page.items],
            unread_count=page.unread_count,
            next_cursor=page.next_cursor,
        )


class EndpointIn(Body):
    url: str = Field(min_length=1, max_length=2048, json_schema_extra={"format": "uri"})
    events: list[EventType] = Field(min_length=1, max_length=len(EventType))


class EndpointOut(Body):
    id: int
    url: str
    events: list[str]
    created_at: datetime

    @classmethod
    def of(cls, endpoint: Endpoint) -> "EndpointOut":
        return cls(
            id=endpoint.id, url=endpoint.url, events=endpoint.events, created_at=endpoint.created_at
        )


class CreatedEndpointOut(EndpointOut):
    secret: str

    @classmethod
    def created(cls, created: CreatedEndpoint) -> "CreatedEndpointOut":
        return cls(**EndpointOut.of(created.endpoint).model_dump(), secret=created.secret)


class EndpointsOut(Body):
    items: list[EndpointOut]


class DeliveryOut(Body):
    id: int
    event_type: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    last_status_code: int | None
    next_attempt_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, delivery: Delivery) -> "DeliveryOut":
        return cls(
            id=delivery.id,
            event_type=delivery.event_type,
            status=delivery.status,
            attempts=delivery.attempts,
            last_status_code=delivery.last_status_code,
            next_attempt_at=delivery.next_attempt_at,
            created_at=delivery.created_at,
        )


class DeliveriesOut(Body):
    items: list[DeliveryOut]


class EmailSettingsIn(Body):
    """Only the keys present change."""

    enabled: bool | None = None
    events: list[EventType] | None = Field(default=None, max_length=len(EventType))


class EmailSettingsOut(Body):
    enabled: bool
    events: list[str]

    @classmethod
    def of(cls, settings: EmailSettings) -> "EmailSettingsOut":
        return cls(enabled=settings.enabled, events=settings.events)
