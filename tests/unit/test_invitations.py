"""Pending invitations for people without an account: invite, list, revoke, accept at sign-up."""

import uuid

import pytest
from sqlalchemy import select

from credits_app.auth.accounts import AlreadyExists, Role, create_user
from credits_app.auth.errors import Forbidden, OrgNotFound
from credits_app.auth.invitations import (
    AccountExists,
    InvitationNotFound,
    add_or_invite,
    invite_by_email,
    list_invitations,
    revoke_invitation,
)
from credits_app.auth.members import list_members
from credits_app.auth.organizations import add_member_by_email, list_user_orgs
from credits_app.credits.errors import InvalidArgument
from credits_app.db import unit_of_work
from credits_app.jobs.outbox import jobs
from tests.conftest import make_org, make_user

pytestmark = pytest.mark.usefixtures("any_engine")


def new_email() -> str:
    return f"newcomer-{uuid.uuid4().hex[:10]}@example.com"


def org_with_people() -> tuple[int, dict[str, int]]:
    people = {role: make_user(role) for role in ("owner", "admin", "member", "outsider")}
    org = make_org(people["owner"], "team")
    add_member_by_email(people["owner"].id, org.id, people["admin"].email, "admin")
    add_member_by_email(people["owner"].id, org.id, people["member"].email, "member")
    return org.id, {role: user.id for role, user in people.items()}


def test_signing_up_with_an_invited_email_makes_the_person_a_member_with_the_invited_role() -> None:
    org_id, ids = org_with_people()
    email = new_email()
    invitation = invite_by_email(ids["admin"], org_id, email.upper(), "admin")
    assert (invitation.email, invitation.role, invitation.invited_by_name) == (
        email,
        Role.ADMIN,
        "Admin",
    )
    assert [i.email for i in list_invitations(ids["owner"], org_id)] == [email]

    newcomer = create_user(email, "Newcomer", "correct horse battery")

    assert [(o.id, o.role) for o in list_user_orgs(newcomer.id)] == [(org_id, Role.ADMIN)]
    assert newcomer.id in {m.user_id for m in list_members(ids["member"], org_id)}
    assert list_invitations(ids["owner"], org_id) == []  # accepted: no longer pending


def test_one_signup_accepts_the_invitations_of_every_org_that_invited_the_email() -> None:
    first_id, first = org_with_people()
    second_id, second = org_with_people()
    email = new_email()
    invite_by_email(first["owner"], first_id, email, "member")
    invite_by_email(second["admin"], second_id, email, "admin")
    newcomer = create_user(email, "Newcomer")
    assert [(o.id, o.role) for o in list_user_orgs(newcomer.id)] == [
        (first_id, Role.MEMBER),
        (second_id, Role.ADMIN),
    ]


def test_a_revoked_invitation_is_not_accepted_at_signup() -> None:
    org_id, ids = org_with_people()
    email = new_email()
    invitation = invite_by_email(ids["owner"], org_id, email, "member")
    revoke_invitation(ids["admin"], org_id, invitation.id)
    with pytest.raises(InvitationNotFound):
        revoke_invitation(ids["admin"], org_id, invitation.id)
    newcomer = create_user(email, "Newcomer")
    assert list_user_orgs(newcomer.id) == []


def test_only_owners_and_admins_invite_list_and_revoke_and_outsiders_learn_nothing() -> None:
    org_id, ids = org_with_people()
    invitation = invite_by_email(ids["owner"], org_id, new_email(), "member")
    with pytest.raises(Forbidden):
        invite_by_email(ids["member"], org_id, new_email(), "member")
    with pytest.raises(Forbidden):
        list_invitations(ids["member"], org_id)
    with pytest.raises(Forbidden):
        revoke_invitation(ids["member"], org_id, invitation.id)
    with pytest.raises(OrgNotFound):
        list_invitations(ids["outsider"], org_id)
    with pytest.raises(OrgNotFound):
        revoke_invitation(ids["outsider"], org_id, invitation.id)
    other_org = make_org(make_user("other"), "other")
    with pytest.raises(OrgNotFound):  # an invitation id from another org reveals nothing
        revoke_invitation(ids["owner"], other_org.id, invitation.id)
    assert [i.id for i in list_invitations(ids["owner"], org_id)] == [invitation.id]


def test_bad_invitations_are_refused_and_leave_nothing() -> None:
    org_id, ids = org_with_people()
    email = new_email()
    invite_by_email(ids["owner"], org_id, email, "member")
    with pytest.raises(AlreadyExists):
        invite_by_email(ids["admin"], org_id, email, "admin")
    registered = make_user("registered")
    with pytest.raises(AccountExists):
        invite_by_email(ids["owner"], org_id, registered.email, "member")
    with pytest.raises(InvalidArgument):
        invite_by_email(ids["owner"], org_id, new_email(), "owner")
    with pytest.raises(InvalidArgument):
        invite_by_email(ids["owner"], org_id, "not an email", "member")
    assert [(i.email, i.role) for i in list_invitations(ids["owner"], org_id)] == [
        (email, Role.MEMBER)
    ]


def test_the_members_form_adds_registered_people_and_invites_the_others() -> None:
    org_id, ids = org_with_people()
    registered = make_user("registered")
    assert add_or_invite(ids["admin"], org_id, registered.email, "member") == "added"
    assert add_or_invite(ids["admin"], org_id, new_email(), "member") == "invited"
    assert registered.id in {m.user_id for m in list_members(ids["owner"], org_id)}
    assert len(list_invitations(ids["owner"], org_id)) == 1


def test_no_email_job_is_queued_without_smtp() -> None:
    org_id, ids = org_with_people()
    invite_by_email(ids["owner"], org_id, new_email(), "member")
    with unit_of_work() as db:
        kinds = db.execute(select(jobs.c.kind)).scalars().all()
    assert "invitation.email" not in kinds
