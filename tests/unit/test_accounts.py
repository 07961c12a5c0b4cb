"""Accounts: users and orgs are created with their wallets, and duplicates are refused cleanly."""

import pytest
from sqlmodel import select

from credits_app.auth.accounts import (
    AlreadyExists,
    Role,
    add_member,
    create_organization,
    create_user,
    find_org_by_slug,
    find_user_by_email,
)
from credits_app.auth.passwords import verify_password
from credits_app.credits import credit_service as credits
from credits_app.credits.errors import InvalidArgument
from credits_app.db import unit_of_work
from credits_app.models import Membership, User
from tests.conftest import make_user

pytestmark = pytest.mark.usefixtures("sqlite_engine")


def test_user_email_is_normalised_and_password_stored_only_as_argon2_hash() -> None:
    user = create_user("  Ada@Example.COM ", "Ada", "correct horse")
    assert user.email == "ada@example.com"
    assert find_user_by_email("ADA@example.com") == user
    with unit_of_work() as db:
        stored = db.exec(select(User).where(User.id == user.id)).one()
    assert stored.password_hash and stored.password_hash.startswith("$argon2id$")
    assert "correct horse" not in stored.password_hash
    assert verify_password("correct horse", stored.password_hash)
    assert not verify_password("wrong", stored.password_hash)


def test_duplicate_email_is_refused_and_nothing_else_is_written() -> None:
    create_user("dup@example.com", "One")
    with pytest.raises(AlreadyExists):
        create_user("DUP@example.com", "Two")
    with unit_of_work() as db:
        assert len(db.exec(select(User)).all()) == 1


@pytest.mark.parametrize("email", ["", "no-at-sign", "a@b", "two@@example.com", "sp ace@x.io"])
def test_malformed_email_is_refused(email: str) -> None:
    with pytest.raises(InvalidArgument):
        create_user(email, "Name")


def test_creator_owns_new_org_and_the_org_has_its_own_empty_wallet() -> None:
    owner = make_user()
    org = create_organization(owner.id, "Acme", "acme")
    assert org.role is Role.OWNER
    assert credits.get_org_balance(org.id) == 0
    assert find_org_by_slug("acme") is not None
    with unit_of_work() as db:
        membership = db.exec(select(Membership).where(Membership.org_id == org.id)).one()
    assert (membership.user_id, membership.role) == (owner.id, "owner")


@pytest.mark.parametrize("slug", ["Upper", "with space", "-lead", "trail-", "a--b", ""])
def test_bad_slugs_are_refused(slug: str) -> None:
    with pytest.raises(InvalidArgument):
        create_organization(make_user().id, "Org", slug)


def test_duplicate_slug_and_duplicate_membership_are_refused() -> None:
    owner = make_user()
    org = create_organization(owner.id, "Acme", "acme-2")
    with pytest.raises(AlreadyExists):
        create_organization(owner.id, "Acme again", "acme-2")
    member = make_user("member")
    add_member(org.id, member.id, Role.MEMBER)
    with pytest.raises(AlreadyExists):
        add_member(org.id, member.id, Role.ADMIN)
