"""GET /api/me, POST /api/orgs and POST /api/orgs/{orgId}/members."""

from fastapi import Response

from credits_app.api.deps import CurrentUser, OrgId
from credits_app.api.encoding import respond
from credits_app.api.responses import api_router
from credits_app.api.schemas import MemberAddIn, MemberOut, MeOut, OrgCreateIn, OrgOut, UserOut
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
