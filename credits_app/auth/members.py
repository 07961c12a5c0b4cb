"""An organization's members: list them, change a role, remove someone, leave.

The rules, once, here (the API and the org page both call these):
- every member may see who is in the org and with which role;
- owners and admins change roles and remove people, but only an owner may touch an owner
  (make one, demote one, remove one);
- anyone may leave, except the last owner: an org always keeps at least one owner;
- outsiders get `OrgNotFound`, as everywhere, and nothing about the org's people.
"""

from dataclasses import dataclass

from sqlmodel import Session, col, select

from credits_app.auth.accounts import Role
from credits_app.auth.errors import Forbidden
from credits_app.auth.organizations import MANAGER_ROLES, require_manager, require_member
from credits_app.credits.errors import CreditsError, InvalidArgument
from credits_app.db import unit_of_work
from credits_app.models import Membership, User

ROLE_ORDER = {Role.OWNER: 0, Role.ADMIN: 1, Role.MEMBER: 2}


class MemberNotFound(CreditsError):
    """No such member in this organization."""

    code = "member_not_found"

    def __init__(self) -> None:
        super().__init__("No such member in this organization.")


class LastOwner(CreditsError):
    """The change would leave the organization without an owner."""

    code = "last_owner"

    def __init__(self) -> None:
        super().__init__(
            "An organization needs at least one owner: make someone else an owner first."
        )


@dataclass(frozen=True)
class MemberInfo:
    """One person in an org as other members see them."""

    user_id: int
    email: str
    name: str
    role: Role


def list_members(actor_id: int, org_id: int, *, session: Session | None = None) -> list[MemberInfo]:
    """Everyone in the org, owners first, then admins, then members, each by name."""
    with unit_of_work(session) as db:
        require_member(actor_id, org_id, session=db)
        rows = db.exec(
            select(User, Membership.role)
            .join(Membership, col(Membership.user_id) == col(User.id))
            .where(col(Membership.org_id) == org_id)
        ).all()
    members = [MemberInfo(user.id or 0, user.email, user.name, Role(role)) for user, role in rows]
    return sorted(members, key=lambda m: (ROLE_ORDER[m.role], m.name.lower(), m.email))


def list_managers(actor_id: int, org_id: int) -> list[MemberInfo]:
    """The owners and admins a member can ask (to top up, to change a role)."""
    return [m for m in list_members(actor_id, org_id) if m.role in MANAGER_ROLES]


def change_role(actor_id: int, org_id: int, user_id: int, role: str) -> MemberInfo:
    """Give a member another role (owner, admin or member); returns the member as now."""
    new_role = _parse_role(role)
    with unit_of_work() as db:
        actor_role = require_manager(actor_id, org_id, session=db)
        membership = _membership(db, org_id, user_id)
        old_role = Role(membership.role)
        if Role.OWNER in (old_role, new_role) and actor_role != Role.OWNER:
            raise Forbidden("Only an owner can make or change an owner.", role=actor_role.value)
        if old_role == Role.OWNER and new_role != Role.OWNER:
            _keep_an_owner(db, org_id)
        membership.role = new_role.value
        db.add(membership)
        user = db.get(User, user_id)
    assert user is not None
    return MemberInfo(user_id, user.email, user.name, new_role)


def remove_member(actor_id: int, org_id: int, user_id: int) -> None:
    """Take someone out of the org; `user_id == actor_id` is leaving, which any member may."""
    with unit_of_work() as db:
        if actor_id == user_id:
            require_member(actor_id, org_id, session=db)
        else:
            actor_role = require_manager(actor_id, org_id, session=db)
        membership = _membership(db, org_id, user_id)
        if actor_id != user_id and membership.role == Role.OWNER and actor_role != Role.OWNER:
            raise Forbidden("Only an owner can remove an owner.", role=actor_role.value)
        if membership.role == Role.OWNER:
            _keep_an_owner(db, org_id)
        db.delete(membership)


def leave_org(user_id: int, org_id: int) -> None:
    """The member leaves (the last owner cannot)."""
    remove_member(user_id, org_id, user_id)


def _membership(db: Session, org_id: int, user_id: int) -> Membership:
    membership = db.exec(
        select(Membership)
        .where(col(Membership.org_id) == org_id, col(Membership.user_id) == user_id)
        .with_for_update()
    ).first()
    if membership is None:
        raise MemberNotFound()
    return membership


def _keep_an_owner(db: Session, org_id: int) -> None:
    """`LastOwner` unless another owner remains (owners locked, so two demotions racing
    cannot both pass)."""
    owners = db.exec(
        select(Membership.id)
        .where(col(Membership.org_id) == org_id, col(Membership.role) == Role.OWNER.value)
        .with_for_update()
    ).all()
    if len(owners) <= 1:
        raise LastOwner()


def _parse_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise InvalidArgument("role must be 'owner', 'admin' or 'member'.", field="role") from None
