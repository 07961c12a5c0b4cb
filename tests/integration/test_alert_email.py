"""Alert emails through a real SMTP server started by the test (aiosmtpd)."""

import email
import email.policy
import threading
from collections.abc import Iterator
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, select

from credits_app.credits import credit_service as credits
from credits_app.credits.owners import WalletOwner
from credits_app.credits.wallet_settings import update_wallet_settings
from credits_app.db import unit_of_work
from credits_app.jobs.outbox import jobs
from credits_app.jobs.registry import JobContext
from credits_app.notifications import email as alert_email
from credits_app.notifications.events import EventType
from credits_app.notifications.inbox import list_notifications
from credits_app.notifications.policies import SEND_EMAIL
from credits_app.settings import get_settings
from tests.conftest import make_user
from tests.support.app_server import free_port


class Inbox:
    """An aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.arrived = threading.Event()

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        content: bytes = envelope.content  # type: ignore[attr-defined]
        self.messages.append(email.message_from_bytes(content, policy=email.policy.default))
        self.arrived.set()
        return "250 OK"


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    monkeypatch.setattr(get_settings(), "smtp_url", f"smtp://127.0.0.1:{controller.port}")
    try:
        yield inbox
    finally:
        controller.stop()


def email_jobs(user_id: int) -> list[int]:
    """The notification ids of email jobs queued for the user's notifications."""
    ours = {item.id for item in list_notifications(user_id, limit=100).items}
    with unit_of_work() as db:
        payloads = db.execute(select(jobs.c.payload).where(jobs.c.kind == SEND_EMAIL)).scalars()
        return [p["notificationId"] for p in payloads if p["notificationId"] in ours]


def send(notification_id: int) -> None:
    alert_email.send_alert_email(
        JobContext(0, SEND_EMAIL, {"notificationId": notification_id}, 1, 8)
    )


def cross_low(user_id: int) -> None:
    credits.grant_personal_credits(user_id, "50", description="start")
    update_wallet_settings(WalletOwner.user(user_id), {"low_threshold": "40"})
    credits.deduct_personal_credits(user_id, "20", category="other")


def test_a_low_balance_is_emailed_once_with_an_unsubscribe_link(
    any_engine: Engine, smtp: Inbox
) -> None:
    user = make_user()
    cross_low(user.id)
    [notification_id] = email_jobs(user.id)
    send(notification_id)
    assert smtp.arrived.wait(10)
    send(notification_id)  # the job ran twice (at least once): one email
    [message] = smtp.messages
    assert message["Subject"] == "Balance is low"
    assert user.email in message["To"]
    assert message["Message-ID"] == f"<notification-{notification_id}@universal-credits>"
    parts = {part.get_content_type(): part.get_payload(decode=True) for part in message.walk()}
    assert b"30 credits" in parts["text/plain"] and b"<p>" in parts["text/html"]
    link = message["List-Unsubscribe"].strip("<>")
    token = link.split("token=")[1]
    alert_email.unsubscribe(token)
    assert alert_email.get_email_settings(user.id).enabled is False
    credits.grant_personal_credits(user.id, "100", description="top-up")
    credits.deduct_personal_credits(user.id, "100", category="other")  # crosses low again
    assert email_jobs(user.id) == [notification_id], "no new email job once unsubscribed"


def test_only_the_chosen_events_are_emailed(any_engine: Engine, smtp: Inbox) -> None:
    user = make_user()
    alert_email.update_email_settings(user.id, events=[EventType.PURCHASE_COMPLETED.value])
    cross_low(user.id)
    assert email_jobs(user.id) == []


def test_without_smtp_nothing_is_queued(any_engine: Engine) -> None:
    user = make_user()
    cross_low(user.id)
    assert email_jobs(user.id) == []
