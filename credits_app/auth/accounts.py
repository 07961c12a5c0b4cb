"""Create users and organizations together with their wallets, in one transaction each."""

import re
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from credits_app.auth.invitation_acceptance import accept_pending_invitations
from credits_app.auth.passwords import hash_password
from credits_app.credits.errors import CreditsError, InvalidArgument
from credits_app.credits.wallet_service import WalletOwner, open_wallet
from credits_app.db import unit_of_work
from credits_app.models import Membership, Organization, User

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class Role(StrEnum):
    """A member's role in an organization; owners and admins manage it and buy credits."""

    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"


class AlreadyExists(CreditsError):
    """An email or slug that is already taken."""

    code = "already_exists"


@dataclass(frozen=True)
class UserInfo:
    """A user as the rest of the app sees it (never the password hash)."""

    id: int
    email: str
    name: str


@dataclass(frozen=True)
class OrgInfo:
    """An organization and the viewing user's role in it."""

    id: int
    name: str
    slug: str
    role: Role


def create_user(
    email: str,
    name: str,
    password: str | None = None,
    *,
    session: Session | None = None,
) -> UserInfo:
    """Register a user, open their personal wallet, and join the orgs that invited this
    email (pending invitations, `auth/invitations.py`), all in one transaction."""
    email = normalize_email(email)
    if not name.strip() or len(name) > 200:
        raise InvalidArgument("Name must be 1 to 200 characters.")
    user = User(email=email, name=name.strip())
    if password is not None:
        user.password_hash = hash_password(password)
    with unit_of_work(session) as db:
        _insert(db, user, f"A user with email {email} already exists.")
        assert user.id is not None
        open_wallet(db, WalletOwner.user(user.id))
        accept_pending_invitations(db, user.id, email)
    return UserInfo(user.id, user.email, user.name)


def create_organization(
    owner_user_id: int, name: str, slug: str, *, session: Session | None = None
) -> OrgInfo:
    """Create an org, make the creator its owner and open the org wallet."""
    if not SLUG_PATTERN.fullmatch(slug) or len(slug) > 100:
        raise InvalidArgument("Slug must be lowercase letters, digits and single hyphens.")
    org = Organization(name=name.strip(), slug=slug)
    with unit_of_work(session) as db:
        _insert(db, org, f"An organization with slug {slug!r} already exists.")
        assert org.id is not None
        db.add(Membership(org_id=org.id, user_id=owner_user_id, role=Role.OWNER.value))
        db.flush()
        open_wallet(db, WalletOwner.org(org.id))
    return OrgInfo(org.id, org.name, org.slug, Role.OWNER)


def add_member(org_id: int, user_id: int, role: Role, *, session: Session | None = None) -> None:
    """Give a user a role in an organization."""
    with unit_of_work(session) as db:
        _insert(
            db,
            Membership(org_id=org_id, user_id=user_id, role=role.value),
            "Already a member.",
        )


def find_user_by_email(email: str, *, session: Session | None = None) -> UserInfo | None:
    """The user with this email (stored lower-case, so the lookup ignores case), if any."""
    with unit_of_work(session) as db:
        user = db.exec(select(User).where(col(User.email) == normalize_email(email))).first()
    return UserInfo(user.id, user.email, user.name) if user and user.id else None


def find_org_by_slug(slug: str, *, session: Session | None = None) -> Organization | None:
    """The organization with this slug, if any."""
    with unit_of_work(session) as db:
        return db.exec(select(Organization).where(col(Organization.slug) == slug)).first()


def normalize_email(email: str) -> str:
    """Emails compare case-insensitively; store them lower-case and trimmed."""
    email = email.strip().lower()
    if not EMAIL_PATTERN.fullmatch(email) or len(email) > 320:
        raise InvalidArgument("Email address is not valid.", field="email")
    return email


def _insert(db: Session, row: object, conflict_message: str) -> None:
    """Insert in a savepoint so a duplicate becomes `AlreadyExists`, not a broken transaction."""
    try:
        with db.begin_nested():
            db.add(row)
    except IntegrityError:
        raise AlreadyExists(conflict_message) from None
