"""An invitation is emailed once through a real SMTP server (aiosmtpd) when SMTP_URL is set."""

import uuid
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, select

from credits_app.auth.accounts import create_user
from credits_app.auth.invitations import (
    SEND_INVITATION_EMAIL,
    invite_by_email,
    revoke_invitation,
    send_invitation_email,
)
from credits_app.db import unit_of_work
from credits_app.jobs.outbox import jobs
from credits_app.jobs.registry import JobContext
from credits_app.settings import get_settings
from tests.conftest import make_org, make_user
from tests.integration.test_alert_email import Inbox
from tests.support.app_server import free_port


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


def queued_invitation_ids() -> list[int]:
    with unit_of_work() as db:
        payloads = db.execute(
            select(jobs.c.payload).where(jobs.c.kind == SEND_INVITATION_EMAIL)
        ).scalars()
        return [int(p["invitationId"]) for p in payloads]


def send(invitation_id: int) -> None:
    send_invitation_email(
        JobContext(0, SEND_INVITATION_EMAIL, {"invitationId": invitation_id}, 1, 8)
    )


def test_an_invitation_is_emailed_once_with_the_org_the_inviter_and_the_signup_link(
    any_engine: Engine, smtp: Inbox
) -> None:
    owner = make_user("inviter")
    org = make_org(owner, "mailed")
    email = f"invitee-{uuid.uuid4().hex[:10]}@example.com"
    invitation = invite_by_email(owner.id, org.id, email, "admin")
    assert invitation.id in queued_invitation_ids()

    send(invitation.id)
    send(invitation.id)  # a retry after success sends nothing more

    [message] = smtp.messages
    assert message["To"] == email
    assert message["Subject"] == f"You are invited to {org.name}"
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert f"Inviter invited you to join {org.name}" in text and "as admin" in text
    assert f"{get_settings().app_base_url.rstrip('/')}/register" in text
    assert message.get_body(("html",)) is not None


def test_an_invitation_accepted_or_revoked_before_its_job_runs_is_not_emailed(
    any_engine: Engine, smtp: Inbox
) -> None:
    owner = make_user("inviter")
    org = make_org(owner, "quiet")
    accepted = invite_by_email(owner.id, org.id, f"a-{uuid.uuid4().hex[:10]}@example.com", "member")
    revoked = invite_by_email(owner.id, org.id, f"r-{uuid.uuid4().hex[:10]}@example.com", "member")
    create_user(accepted.email, "Quick")
    revoke_invitation(owner.id, org.id, revoked.id)
    send(accepted.id)
    send(revoked.id)
    assert smtp.messages == []
