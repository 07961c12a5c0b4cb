"""GET /api/me, POST /api/orgs, an org's members (list, add, change role, remove/leave) and
its pending invitations for people without an account (list, invite, revoke).

Each route only translates; who may do what is decided in auth/organizations.py and
auth/members.py (an admin cannot touch an owner, the last owner cannot leave, outsiders 404).
"""

from fastapi import Response

from credits_app.api.deps import CurrentUser, InvitationId, MemberId, OrgId
from credits_app.api.encoding import respond
from credits_app.api.responses import api_router
from credits_app.api.schemas import (
    InvitationIn,
    InvitationOut,
    InvitationsOut,
    MemberAddIn,
    MemberOut,
    MeOut,
    OrgCreateIn,
    OrgMemberOut,
    OrgMembersOut,
    OrgOut,
    RoleChangeIn,
    UserOut,
)
from credits_app.auth.invitations import invite_by_email, list_invitations, revoke_invitation
from credits_app.auth.members import change_role, list_members, remove_member
from credits_app.auth.organizations import (
    add_member_by_email,
    create_org_for_user,
    list_user_orgs,
)

router = api_router("organizations")


@router.get("/me", response_model=MeOut)
def me(user: CurrentUser) -> Response:
    """The signed-in user and the organizations they belong to, with their role in each."""
    orgs = [OrgOut.of(org) for org in list_user_orgs(user.id)]
    return respond(MeOut(user=UserOut.of(user), orgs=orgs))


@router.post("/orgs", status_code=201, response_model=OrgOut)
def create_org(body: OrgCreateIn, user: CurrentUser) -> Response:
    """Create an organization (with its wallet); the creator becomes its owner."""
    return respond(OrgOut.of(create_org_for_user(user.id, body.name, body.slug)), 201)


@router.post("/orgs/{orgId}/members", status_code=201, response_model=MemberOut)
def add_member(org_id: OrgId, body: MemberAddIn, user: CurrentUser) -> Response:
    """Owners and admins add an existing user by email as admin or member."""
    member_id, role = add_member_by_email(user.id, org_id, body.email, body.role)
    return respond(MemberOut(user_id=member_id, role=role.value), 201)


@router.get("/orgs/{orgId}/members", response_model=OrgMembersOut)
def members(org_id: OrgId, user: CurrentUser) -> Response:
    """Everyone in the org with their role (members see it too; outsiders get 404)."""
    items = [OrgMemberOut.of(member) for member in list_members(user.id, org_id)]
    return respond(OrgMembersOut(items=items))


@router.patch("/orgs/{orgId}/members/{userId}", response_model=OrgMemberOut)
def change_member_role(
    org_id: OrgId, member_id: MemberId, body: RoleChangeIn, user: CurrentUser
) -> Response:
    """Owners and admins change a role; only owners make or demote owners; never the last."""
    return respond(OrgMemberOut.of(change_role(user.id, org_id, member_id, body.role)))


@router.delete("/orgs/{orgId}/members/{userId}", status_code=204)
def remove(org_id: OrgId, member_id: MemberId, user: CurrentUser) -> Response:
    """Owners and admins remove a member; anyone removes themselves (leaves), but the last
    owner cannot."""
    remove_member(user.id, org_id, member_id)
    return Response(status_code=204)


@router.get("/orgs/{orgId}/invitations", response_model=InvitationsOut)
def invitations(org_id: OrgId, user: CurrentUser) -> Response:
    """Pending invitations, oldest first (owners and admins; members 403, outsiders 404)."""
    items = [InvitationOut.of(item) for item in list_invitations(user.id, org_id)]
    return respond(InvitationsOut(items=items))


@router.post("/orgs/{orgId}/invitations", status_code=201, response_model=InvitationOut)
def invite(org_id: OrgId, body: InvitationIn, user: CurrentUser) -> Response:
    """Invite an email without an account; it joins with `role` when it signs up (emailed
    when SMTP_URL is set). An email with an account is 409 `account_exists`."""
    return respond(InvitationOut.of(invite_by_email(user.id, org_id, body.email, body.role)), 201)


@router.delete("/orgs/{orgId}/invitations/{invitationId}", status_code=204)
def revoke(org_id: OrgId, invitation_id: InvitationId, user: CurrentUser) -> Response:
    """Withdraw a pending invitation (owners and admins)."""
    revoke_invitation(user.id, org_id, invitation_id)
    return Response(status_code=204)
