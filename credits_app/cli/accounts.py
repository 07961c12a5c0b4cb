"""Account commands: `create-user`, `create-org` and `add-member`."""

import re
import unicodedata
from enum import StrEnum
from typing import Annotated

import typer

from credits_app.auth import accounts
from credits_app.auth.accounts import Role
from credits_app.cli.common import console, fail, note, reports_errors, require_org, require_user

MAX_SLUG_LENGTH = 100


class MemberRole(StrEnum):
    """Roles an operator can give; each org has exactly one owner, its creator."""

    ADMIN = "admin"
    MEMBER = "member"


@reports_errors
def create_user(
    email: Annotated[str, typer.Argument(help="Login email (stored lower-case).")],
    name: Annotated[str, typer.Option("--name", help="Display name.")],
    password: Annotated[
        str | None,
        typer.Option(help="Password; prefer the hidden prompt (arguments stay in shell history)."),
    ] = None,
    no_password: Annotated[
        bool, typer.Option("--no-password", help="A service user that cannot sign in.")
    ] = False,
) -> None:
    """Create a user with an empty personal wallet; prints the new user id on stdout."""
    if password is not None and no_password:
        fail("Give either --password or --no-password, not both.")
    if accounts.find_user_by_email(email) is not None:
        fail(f"A user with email {accounts.normalize_email(email)} already exists.")
    if password is None and not no_password:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if password is not None and not password.strip():
        fail("The password must not be blank; use --no-password for a service user.")
    user = accounts.create_user(email, name, password)
    console.print(str(user.id))
    note(f"Created user {user.email} (id {user.id}).")


@reports_errors
def create_org(
    owner_email: Annotated[str, typer.Argument(help="Email of the user who will own it.")],
    name: Annotated[str, typer.Argument(help="Display name.")],
    slug: Annotated[
        str | None,
        typer.Option(help="URL name: lowercase letters, digits, hyphens (default: from NAME)."),
    ] = None,
) -> None:
    """Create an organization with an empty wallet; prints the new org id on stdout."""
    owner = require_user(owner_email)
    org = accounts.create_organization(owner.id, name, slug or slugify(name))
    console.print(str(org.id))
    note(f"Created organization {org.name} (/{org.slug}, id {org.id}) owned by {owner.email}.")


@reports_errors
def add_member(
    org_slug: Annotated[str, typer.Argument(help="The organization's slug.")],
    email: Annotated[str, typer.Argument(help="The user's email.")],
    role: Annotated[MemberRole, typer.Option(case_sensitive=False)] = MemberRole.MEMBER,
) -> None:
    """Give an existing user a role in an organization."""
    org = require_org(org_slug)
    user = require_user(email)
    try:
        accounts.add_member(org.id, user.id, Role(role.value))
    except accounts.AlreadyExists:
        fail(f"{user.email} is already a member of {org.slug}.")
    console.print(f"Added {user.email} to {org.slug} as {role.value}.")


def slugify(name: str) -> str:
    """ "Acme Café, Inc." -> "acme-cafe-inc": the default slug, or a failure when none is left."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    slug = slug[:MAX_SLUG_LENGTH].rstrip("-")
    if not slug:
        fail(f"Cannot make a slug from {name!r}; pass --slug.")
    return slug
