"""Who may do what in an organization: membership checks, org creation and adding members.

Access rules live here, once: outsiders get `OrgNotFound` (an org's existence is never revealed
to them), members may read, and only owners and admins may buy credits or manage the org.
"""

import re

from sqlmodel import Session, col, select

from credits_app.auth.accounts import (
    OrgInfo,
    Role,
    add_member,
    create_organization,
    find_user_by_email,
)
from credits_app.auth.errors import Forbidden, OrgNotFound, UserNotFound
from credits_app.auth.hourly_caps import enforce_hourly_cap
from credits_app.credits.errors import InvalidArgument
from credits_app.db import unit_of_work
from credits_app.models import Membership, Organization
from credits_app.settings import get_settings

MANAGER_ROLES = frozenset({Role.OWNER, Role.ADMIN})
ASSIGNABLE_ROLES = frozenset({Role.ADMIN, Role.MEMBER})
MAX_NAME_LENGTH = 200


def list_user_orgs(user_id: int, *, session: Session | None = None) -> list[OrgInfo]:
    """Every org the user belongs to, with the user's role, oldest first."""
    query = (
        select(Organization, Membership.role)
        .join(Membership, col(Membership.org_id) == col(Organization.id))
        .where(col(Membership.user_id) == user_id)
        .order_by(col(Organization.id))
    )
    with unit_of_work(session) as db:
        rows = db.exec(query).all()
    return [OrgInfo(org.id or 0, org.name, org.slug, Role(role)) for org, role in rows]


def create_org_for_user(user_id: int, name: str, slug: str | None = None) -> OrgInfo:
    """Create an org owned by the user; the slug defaults to the name, lower-case, hyphenated."""
    name = name.strip()
    if not 0 < len(name) <= MAX_NAME_LENGTH:
        raise InvalidArgument(f"Name must be 1 to {MAX_NAME_LENGTH} characters.", field="name")
    slug = slugify(name) if slug is None else slug
    if not slug:
        raise InvalidArgument("Give the organization a slug of letters or digits.", field="slug")
    with unit_of_work() as db:
        enforce_hourly_cap(  # the orgs this user founded: their owner memberships
            db,
            user_id,
            what="new organizations",
            limit=get_settings().org_creations_per_hour,
            created_at=col(Membership.created_at),
            conditions=[
                col(Membership.user_id) == user_id,
                col(Membership.role) == Role.OWNER.value,
            ],
        )
        return create_organization(user_id, name, slug, session=db)


def require_member(user_id: int, org_id: int, *, session: Session | None = None) -> Role:
    """The user's role in the org, or `OrgNotFound` when there is no such org or membership."""
    with unit_of_work(session) as db:
        role = db.exec(
            select(Membership.role).where(
                col(Membership.org_id) == org_id, col(Membership.user_id) == user_id
            )
        ).first()
    if role is None:
        raise OrgNotFound()
    return Role(role)


def require_manager(user_id: int, org_id: int, *, session: Session | None = None) -> Role:
    """Like `require_member`, then `Forbidden` unless the user is an owner or admin."""
    role = require_member(user_id, org_id, session=session)
    if role not in MANAGER_ROLES:
        raise Forbidden("Only the organization's owners and admins can do this.", role=role.value)
    return role


def get_org(user_id: int, org_id: int, *, session: Session | None = None) -> OrgInfo:
    """The org as the member sees it (with their role); outsiders get `OrgNotFound`."""
    with unit_of_work(session) as db:
        role = require_member(user_id, org_id, session=db)
        org = db.get(Organization, org_id)
    assert org is not None and org.id is not None
    return OrgInfo(org.id, org.name, org.slug, role)


def get_org_by_slug(user_id: int, slug: str, *, session: Session | None = None) -> OrgInfo:
    """The org with this slug if the user belongs to it, else `OrgNotFound`."""
    with unit_of_work(session) as db:
        org = db.exec(select(Organization).where(col(Organization.slug) == slug)).first()
        if org is None or org.id is None:
            raise OrgNotFound()
        return get_org(user_id, org.id, session=db)


def add_member_by_email(actor_id: int, org_id: int, email: str, role: str) -> tuple[int, Role]:
    """An owner or admin adds an existing user as admin or member; returns (user id, role)."""
    new_role = assignable_role(role)
    with unit_of_work() as db:
        require_manager(actor_id, org_id, session=db)
        user = find_user_by_email(email, session=db)
        if user is None:
            raise UserNotFound()
        add_member(org_id, user.id, new_role, session=db)
    return user.id, new_role


def slugify(name: str) -> str:
    """'Acme Robotics, Inc.' -> 'acme-robotics-inc' (at most 100 characters)."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:100].rstrip("-")


def assignable_role(role: str) -> Role:
    try:
        parsed = Role(role)
    except ValueError:
        parsed = None
    if parsed not in ASSIGNABLE_ROLES:
        raise InvalidArgument("role must be 'admin' or 'member'.", field="role")
    assert parsed is not None
    return parsed
