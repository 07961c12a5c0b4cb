"""Alert emails over SMTP (SMTP_URL), plain text plus simple HTML, with an unsubscribe link.

The job handler for `email.send`: idempotent by the notification's `emailed_at` (set after the
server accepted the message) and by a stable `Message-ID`, so a retry after a crash between
"accepted" and "recorded" can at worst repeat one message that mail clients thread as one.
Preferences are checked again at send time: unsubscribing stops emails already queued.
"""

import email.policy
import html
import secrets
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr
from typing import Any, cast
from urllib.parse import unquote, urlsplit

from sqlalchemy import Row, Table, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from credits_app.clock import utcnow
from credits_app.credits.errors import CreditsError
from credits_app.db import unit_of_work
from credits_app.jobs.registry import JobContext
from credits_app.models import EmailPreference, Notification, User
from credits_app.notifications.events import DEFAULT_EMAIL_EVENTS, EventType, parse_event_types
from credits_app.settings import get_settings

notifications = cast(Table, Notification.__table__)  # type: ignore[attr-defined]
preferences = cast(Table, EmailPreference.__table__)  # type: ignore[attr-defined]
users = cast(Table, User.__table__)  # type: ignore[attr-defined]
SMTP_TIMEOUT_SECONDS = 15
# Long headers (the unsubscribe URL) stay one line instead of becoming encoded words.
HEADER_POLICY = email.policy.SMTP.clone(max_line_length=998)


class InvalidUnsubscribeToken(CreditsError):
    """The unsubscribe link's token is unknown."""

    code = "invalid_unsubscribe_token"


@dataclass(frozen=True)
class EmailSettings:
    """Whether alert emails go out to this user, and for which event types."""

    enabled: bool
    events: list[str]


@dataclass(frozen=True)
class SmtpTarget:
    """Where SMTP_URL points: smtp://user:pass@host:port (smtps:// for implicit TLS)."""

    host: str
    port: int
    username: str | None
    password: str | None
    implicit_tls: bool
    starttls: bool


def parse_smtp_url(url: str) -> SmtpTarget:
    """Split SMTP_URL; `?starttls=true` upgrades a plain connection before logging in."""
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
        raise ValueError("SMTP_URL must look like smtp://user:pass@host:port")
    implicit = parts.scheme == "smtps"
    return SmtpTarget(
        host=parts.hostname,
        port=parts.port or (465 if implicit else 25),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        implicit_tls=implicit,
        starttls="starttls=true" in parts.query.lower(),
    )


def get_email_settings(user_id: int, *, session: Session | None = None) -> EmailSettings:
    """The user's choices; the defaults (on, the actionable events) until they change them."""
    with unit_of_work(session) as db:
        row = _preferences(db, user_id)
    if row is None:
        return EmailSettings(True, [event.value for event in DEFAULT_EMAIL_EVENTS])
    return EmailSettings(bool(row.enabled), list(row.events))


def update_email_settings(
    user_id: int, *, enabled: bool | None = None, events: Sequence[str] | None = None
) -> EmailSettings:
    """Change whether and for what alerts are emailed; unknown event names are a 400."""
    chosen = None if events is None else parse_event_types(events)
    with unit_of_work() as db:
        current = get_email_settings(user_id, session=db)
        merged = EmailSettings(
            current.enabled if enabled is None else enabled,
            current.events if chosen is None else chosen,
        )
        _store(db, user_id, merged)
    return merged


def unsubscribe(token: str) -> None:
    """The email's unsubscribe link: turn alert emails off for the token's user."""
    with unit_of_work() as db:
        result = db.execute(
            update(preferences)
            .where(preferences.c.unsubscribe_token == token)
            .values(enabled=False, updated_at=utcnow())
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            raise InvalidUnsubscribeToken("This unsubscribe link is not valid.")


def send_alert_email(job: JobContext) -> None:
    """Job handler: email one notification to its user, at most once (see module docstring)."""
    smtp_url = get_settings().smtp_url
    if not smtp_url:
        return
    notification_id = int(job.payload["notificationId"])
    with unit_of_work() as db:
        row = db.execute(
            select(
                notifications.c.id,
                notifications.c.user_id,
                notifications.c.kind,
                notifications.c.title,
                notifications.c.body,
                notifications.c.emailed_at,
                users.c.email,
                users.c.name,
            )
            .join(users, users.c.id == notifications.c.user_id)
            .where(notifications.c.id == notification_id)
        ).one_or_none()
        if row is None or row.emailed_at is not None:
            return
        choice = get_email_settings(row.user_id, session=db)
        if not choice.enabled or row.kind not in choice.events:
            return
        token = _store(db, row.user_id, choice)
    message = compose(row.id, formataddr((row.name, row.email)), row.title, row.body, token)
    deliver(parse_smtp_url(smtp_url), message)
    with unit_of_work() as db:
        db.execute(
            update(notifications)
            .where(notifications.c.id == notification_id)
            .values(emailed_at=utcnow())
        )


def compose(notification_id: int, to: str, title: str, body: str, token: str) -> EmailMessage:
    """A plain-text alert with an HTML alternative and one-click unsubscribe headers."""
    settings = get_settings()
    base = settings.app_base_url.rstrip("/")
    unsubscribe_url = f"{base}/api/notifications/unsubscribe?token={token}"
    message = EmailMessage(policy=HEADER_POLICY)
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Subject"] = title
    message["Message-ID"] = f"<notification-{notification_id}@universal-credits>"
    message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(
        f"{body}\n\nSee your credits: {base}/credits\n\nStop these emails: {unsubscribe_url}\n"
    )
    message.add_alternative(
        f"<p>{html.escape(body)}</p>"
        f'<p><a href="{html.escape(base)}/credits">See your credits</a></p>'
        f'<p style="font-size:12px"><a href="{html.escape(unsubscribe_url)}">'
        "Stop these emails</a></p>",
        subtype="html",
    )
    return message


def deliver(target: SmtpTarget, message: EmailMessage) -> None:
    """Hand the message to the SMTP server (raises on failure: the job retries)."""
    client_class = smtplib.SMTP_SSL if target.implicit_tls else smtplib.SMTP
    with client_class(target.host, target.port, timeout=SMTP_TIMEOUT_SECONDS) as client:
        if target.starttls:
            client.starttls()
        if target.username and target.password:
            client.login(target.username, target.password)
        client.send_message(message)


def wants_email(db: Session, user_id: int, event: EventType) -> bool:
    """SMTP is configured and the user gets this event by email (checked again at send)."""
    if not get_settings().smtp_url:
        return False
    choice = get_email_settings(user_id, session=db)
    return choice.enabled and event.value in choice.events


def _preferences(db: Session, user_id: int) -> Row[Any] | None:
    return db.execute(select(preferences).where(preferences.c.user_id == user_id)).one_or_none()


def _store(db: Session, user_id: int, choice: EmailSettings) -> str:
    """Upsert the preferences row (creating its unsubscribe token once); returns the token."""
    dialect = db.get_bind().dialect.name
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(preferences)
    statement = statement.values(
        user_id=user_id,
        enabled=choice.enabled,
        events=choice.events,
        unsubscribe_token=secrets.token_urlsafe(32),
        updated_at=utcnow(),
    ).on_conflict_do_update(
        index_elements=["user_id"],
        set_={"enabled": choice.enabled, "events": choice.events, "updated_at": utcnow()},
    )
    db.execute(statement)
    token: str = db.execute(
        select(preferences.c.unsubscribe_token).where(preferences.c.user_id == user_id)
    ).scalar_one()
    return token
