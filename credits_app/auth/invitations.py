"""Invite people who have no account yet: pending invitations, listed, revoked, emailed.

The rules, once, here (the API and the members page both call these):
- owners and admins invite, see and revoke invitations (members 403, outsiders 404);
- an invitation is for an email without an account (one with an account is added directly,
  `organizations.add_member_by_email`), as admin or member, one pending per org and email;
- when that email signs up, `invitation_acceptance.accept_pending_invitations` makes them a
  member in the sign-up's transaction and deletes the invitation; revoking deletes it too;
- with SMTP_URL set, the invitation is emailed by a job queued in the same transaction.

There is no email verification in this app: whoever registers the invited address joins.
"""

import html
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Any, Literal, cast

from sqlalchemy import Row, Select, Table, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from credits_app.auth.accounts import AlreadyExists, Role, find_user_by_email, normalize_email
from credits_app.auth.organizations import add_member_by_email, assignable_role, require_manager
from credits_app.clock import utcnow
from credits_app.credits.errors import CreditsError
from credits_app.db import unit_of_work
from credits_app.jobs.outbox import enqueue
from credits_app.jobs.registry import JobContext, RetryPolicy
from credits_app.models import Organization, OrgInvitation, User
from credits_app.notifications.email import HEADER_POLICY, deliver, parse_smtp_url
from credits_app.notifications.stamps import as_utc
from credits_app.settings import get_settings

invitations = cast(Table, OrgInvitation.__table__)  # type: ignore[attr-defined]
organizations = cast(Table, Organization.__table__)  # type: ignore[attr-defined]
users = cast(Table, User.__table__)  # type: ignore[attr-defined]
SEND_INVITATION_EMAIL = "invitation.email"
INVITATION_EMAIL_RETRY = RetryPolicy(max_attempts=8, base_seconds=30, cap_seconds=3600)


class InvitationNotFound(CreditsError):
    """No such pending invitation in this organization."""

    code = "invitation_not_found"

    def __init__(self) -> None:
        super().__init__("No such pending invitation in this organization.")


class AccountExists(CreditsError):
    """The email already has an account: add the person as a member instead."""

    code = "account_exists"

    def __init__(self) -> None:
        super().__init__(
            "This email already has an account: add them as a member "
            "(POST /api/orgs/{orgId}/members)."
        )


@dataclass(frozen=True)
class InvitationInfo:
    """A pending invitation as the org's owners and admins see it."""

    id: int
    org_id: int
    email: str
    role: Role
    invited_by_id: int | None
    invited_by_name: str | None
    created_at: datetime


def invite_by_email(actor_id: int, org_id: int, email: str, role: str) -> InvitationInfo:
    """An owner or admin invites an email that has no account yet, as admin or member."""
    new_role = assignable_role(role)
    address = normalize_email(email)
    with unit_of_work() as db:
        require_manager(actor_id, org_id, session=db)
        if find_user_by_email(address, session=db) is not None:
            raise AccountExists()
        try:
            with db.begin_nested():
                invitation_id = db.execute(
                    invitations.insert()
                    .values(
                        org_id=org_id,
                        email=address,
                        role=new_role.value,
                        invited_by_user_id=actor_id,
                        created_at=utcnow(),
                    )
                    .returning(invitations.c.id)
                ).scalar_one()
        except IntegrityError:
            raise AlreadyExists(f"{address} is already invited.") from None
        if get_settings().smtp_url:
            enqueue(
                db,
                SEND_INVITATION_EMAIL,
                {"invitationId": int(invitation_id)},
                max_attempts=INVITATION_EMAIL_RETRY.max_attempts,
            )
        return _one(db, org_id, int(invitation_id))


def add_or_invite(actor_id: int, org_id: int, email: str, role: str) -> Literal["added", "invited"]:
    """The members page's one form: add a person who has an account, invite one who has not."""
    if find_user_by_email(normalize_email(email)) is not None:
        add_member_by_email(actor_id, org_id, email, role)
        return "added"
    invite_by_email(actor_id, org_id, email, role)
    return "invited"


def list_invitations(
    actor_id: int, org_id: int, *, session: Session | None = None
) -> list[InvitationInfo]:
    """The org's pending invitations, oldest first (owners and admins only)."""
    with unit_of_work(session) as db:
        require_manager(actor_id, org_id, session=db)
        rows = db.execute(_query().where(invitations.c.org_id == org_id)).all()
    return [_info(row) for row in rows]


def revoke_invitation(actor_id: int, org_id: int, invitation_id: int) -> None:
    """Withdraw a pending invitation (owners and admins); an unknown one is not found."""
    with unit_of_work() as db:
        require_manager(actor_id, org_id, session=db)
        result = db.execute(
            delete(invitations).where(
                invitations.c.id == invitation_id, invitations.c.org_id == org_id
            )
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            raise InvitationNotFound()


def send_invitation_email(job: JobContext) -> None:
    """Job handler: email one pending invitation, at most once (`emailed_at`, stable
    Message-ID); nothing if it was accepted or revoked meanwhile, or SMTP_URL is unset."""
    smtp_url = get_settings().smtp_url
    if not smtp_url:
        return
    invitation_id = int(job.payload["invitationId"])
    with unit_of_work() as db:
        row = db.execute(_query().where(invitations.c.id == invitation_id)).one_or_none()
        if row is None or row.emailed_at is not None:
            return
    deliver(parse_smtp_url(smtp_url), compose_invitation(_info(row), row.org_name))
    with unit_of_work() as db:
        db.execute(
            update(invitations).where(invitations.c.id == invitation_id).values(emailed_at=utcnow())
        )


def compose_invitation(invitation: InvitationInfo, org_name: str) -> EmailMessage:
    """Plain text with an HTML alternative: who invited you where, and where to sign up."""
    settings = get_settings()
    base = settings.app_base_url.rstrip("/")
    signup_url = f"{base}/register"
    inviter = invitation.invited_by_name or "An administrator"
    text = (
        f"{inviter} invited you to join {org_name} on Universal Credits as "
        f"{invitation.role.value}. Create your account with this email address "
        f"({invitation.email}) and you are in."
    )
    message = EmailMessage(policy=HEADER_POLICY)
    message["From"] = settings.smtp_from
    message["To"] = invitation.email
    message["Subject"] = f"You are invited to {org_name}"
    message["Message-ID"] = f"<invitation-{invitation.id}@universal-credits>"
    message.set_content(f"{text}\n\nSign up: {signup_url}\n")
    message.add_alternative(
        f"<p>{html.escape(text)}</p>"
        f'<p><a href="{html.escape(signup_url)}">Create your account</a></p>',
        subtype="html",
    )
    return message


def _query() -> Select[Any]:
    return (
        select(
            invitations,
            users.c.name.label("inviter_name"),
            organizations.c.name.label("org_name"),
        )
        .join(organizations, organizations.c.id == invitations.c.org_id)
        .outerjoin(users, users.c.id == invitations.c.invited_by_user_id)
        .order_by(invitations.c.id)
    )


def _one(db: Session, org_id: int, invitation_id: int) -> InvitationInfo:
    row = db.execute(
        _query().where(invitations.c.id == invitation_id, invitations.c.org_id == org_id)
    ).one()
    return _info(row)


def _info(row: Row[Any]) -> InvitationInfo:
    return InvitationInfo(
        id=int(row.id),
        org_id=int(row.org_id),
        email=row.email,
        role=Role(row.role),
        invited_by_id=row.invited_by_user_id,
        invited_by_name=row.inviter_name,
        created_at=as_utc(row.created_at),
    )
