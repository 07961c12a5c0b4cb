"""In-app notifications (the bell) and the user's email-alert settings (DESIGN §4b)."""

from typing import Annotated

from fastapi import Path, Query, Response
from fastapi.responses import PlainTextResponse

from credits_app.api.deps import AsciiInteger, CurrentUser, Limit
from credits_app.api.encoding import respond
from credits_app.api.notification_schemas import (
    EmailSettingsIn,
    EmailSettingsOut,
    NotificationsOut,
)
from credits_app.api.responses import api_router
from credits_app.notifications import email, inbox

router = api_router("notifications")

# The inbox's cursors are shorter than the history's (deps.Cursor), and so is its bound.
Cursor = Annotated[str | None, Query(max_length=40, description="nextCursor of the last page")]
NotificationId = Annotated[int, AsciiInteger, Path(alias="notificationId", ge=1, le=2**63 - 1)]


@router.get("/notifications", response_model=NotificationsOut)
def list_notifications(user: CurrentUser, limit: Limit = 20, cursor: Cursor = None) -> Response:
    """My notifications, newest first, with the unread count."""
    return respond(
        NotificationsOut.of(inbox.list_notifications(user.id, limit=limit, cursor=cursor))
    )


@router.post("/notifications/read-all", status_code=204)
def read_all(user: CurrentUser) -> Response:
    """Mark all my notifications read."""
    inbox.mark_all_read(user.id)
    return Response(status_code=204)


@router.post("/notifications/{notificationId}/read", status_code=204)
def read_one(user: CurrentUser, notification_id: NotificationId) -> Response:
    """Mark one of my notifications read."""
    inbox.mark_read(user.id, notification_id)
    return Response(status_code=204)


@router.get("/notifications/email-settings", response_model=EmailSettingsOut)
def get_email_settings(user: CurrentUser) -> Response:
    """Whether alerts are emailed to me, and which."""
    return respond(EmailSettingsOut.of(email.get_email_settings(user.id)))


@router.put("/notifications/email-settings", response_model=EmailSettingsOut)
def put_email_settings(body: EmailSettingsIn, user: CurrentUser) -> Response:
    """Turn alert emails on or off, or choose the events that are emailed."""
    changed = email.update_email_settings(user.id, enabled=body.enabled, events=body.events)
    return respond(EmailSettingsOut.of(changed))


@router.get("/notifications/unsubscribe", response_class=PlainTextResponse)
@router.post("/notifications/unsubscribe", response_class=PlainTextResponse)
def unsubscribe(
    token: Annotated[str, Query(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")],
) -> Response:
    """The link in every alert email (and one-click POST): stop alert emails, no sign-in."""
    email.unsubscribe(token)
    return PlainTextResponse("You will no longer get alert emails.")
