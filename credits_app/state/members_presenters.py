"""An organization's people as the members page shows them, and what the viewer may do."""

from dataclasses import dataclass, field

from credits_app.auth.accounts import Role
from credits_app.auth.invitations import InvitationInfo
from credits_app.auth.members import MemberInfo
from credits_app.auth.organizations import MANAGER_ROLES

ROLE_LABELS = {Role.OWNER: "Owner", Role.ADMIN: "Admin", Role.MEMBER: "Member"}


@dataclass(frozen=True)
class MemberRow:
    """One person, with the controls the viewer gets for them."""

    user_id: str
    name: str
    email: str
    role: str
    role_label: str
    is_me: bool
    can_change_role: bool
    can_remove: bool


@dataclass(frozen=True)
class InvitationRow:
    """A pending invitation: who, as what, invited by whom (owners and admins see these)."""

    invitation_id: str
    email: str
    role_label: str
    detail: str  # "Invited by Ada Lovelace"


@dataclass(frozen=True)
class MembersView:
    """The whole page: people, who to ask, and whether the viewer manages the org."""

    rows: list[MemberRow] = field(default_factory=list)
    invitations: list[InvitationRow] = field(default_factory=list)
    managers_text: str = ""  # "Ada Lovelace (owner) or Grace Hopper (admin)"
    can_manage: bool = False
    can_appoint_owners: bool = False
    count_text: str = ""


def members_view(
    members: list[MemberInfo],
    viewer_id: int,
    invitations: list[InvitationInfo] | None = None,
) -> MembersView:
    """Rows in the service's order; controls follow auth/members.py's rules (the service
    re-checks every action, these only avoid offering what would be refused)."""
    viewer = next((m for m in members if m.user_id == viewer_id), None)
    viewer_role = viewer.role if viewer else Role.MEMBER
    manages = viewer_role in MANAGER_ROLES
    is_owner = viewer_role == Role.OWNER
    rows = [
        MemberRow(
            user_id=str(m.user_id),
            name=m.name or m.email,
            email=m.email,
            role=m.role.value,
            role_label=ROLE_LABELS[m.role],
            is_me=m.user_id == viewer_id,
            can_change_role=manages
            and m.user_id != viewer_id
            and (is_owner or m.role != Role.OWNER),
            can_remove=manages and m.user_id != viewer_id and (is_owner or m.role != Role.OWNER),
        )
        for m in members
    ]
    return MembersView(
        rows=rows,
        invitations=[invitation_row(i) for i in invitations or []],
        managers_text=managers_text(members),
        can_manage=manages,
        can_appoint_owners=is_owner,
        count_text=f"{len(members)} {'person' if len(members) == 1 else 'people'}",
    )


def managers_text(members: list[MemberInfo]) -> str:
    """Whom a member can ask, by name: 'Ada (owner), Bob (admin) or Cy (admin)'."""
    names = [f"{m.name or m.email} ({m.role.value})" for m in members if m.role in MANAGER_ROLES]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " or " + names[-1]


def invitation_row(invitation: InvitationInfo) -> InvitationRow:
    """One pending invitation as the members page lists it."""
    inviter = invitation.invited_by_name or "a former member"
    return InvitationRow(
        invitation_id=str(invitation.id),
        email=invitation.email,
        role_label=ROLE_LABELS[invitation.role],
        detail=f"Invited by {inviter}; joins when they sign up with this email",
    )
