"""What every operator command shares: the consoles, one-line errors, and --user/--org lookup."""

import functools
import getpass
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, NoReturn, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.text import Text
from sqlalchemy.exc import OperationalError, ProgrammingError

from credits_app.auth.accounts import UserInfo, find_org_by_slug, find_user_by_email
from credits_app.credits.errors import CreditsError
from credits_app.credits.wallet_service import WalletOwner

P = ParamSpec("P")
R = TypeVar("R")

# Results go to stdout; errors, notes and progress to stderr, so stdout stays pipeable.
# No markup or wrapping: emails and reasons are printed verbatim, each message on one line.
console = Console(markup=False, highlight=False, soft_wrap=True)
err_console = Console(stderr=True, markup=False, highlight=False, soft_wrap=True)

UserOption = Annotated[
    str | None,
    typer.Option("--user", metavar="EMAIL", help="Act on this user's personal wallet."),
]
OrgOption = Annotated[
    str | None,
    typer.Option("--org", metavar="SLUG", help="Act on this organization's wallet."),
]
ReasonOption = Annotated[
    str | None,
    typer.Option("--reason", metavar="TEXT", help="Why (required; recorded in the ledger entry)."),
]
OperatorOption = Annotated[
    str | None,
    typer.Option("--operator", metavar="NAME", help="Who is doing it (default: the OS user)."),
]


@dataclass(frozen=True)
class OrgRef:
    """The organization an --org SLUG names."""

    id: int
    slug: str


@dataclass(frozen=True)
class Target:
    """The wallet a command acts on, and how messages name it."""

    owner: WalletOwner
    label: str  # "user ada@example.com" or "org acme"


def fail(message: str) -> NoReturn:
    """Print one red line on stderr and exit 1: operators get the cause, never a traceback."""
    err_console.print(Text(f"Error: {' '.join(message.split())}", style="red"))
    raise typer.Exit(1)


def note(message: str) -> None:
    """A confirmation on stderr, for commands whose stdout is a value to capture (an id)."""
    err_console.print(Text(message, style="green"))


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn expected failures (domain errors, an unmigrated or unreachable DB) into `fail`."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except CreditsError as error:
            fail(error.message)
        except (OperationalError, ProgrammingError) as error:
            cause = str(error.orig or error).strip().splitlines()[0]
            fail(f"Database error: {cause} (is it migrated? `python -m credits_app migrate`)")

    return run


def require_user(email: str) -> UserInfo:
    """The user with this email, or a clean failure naming it."""
    user = find_user_by_email(email)
    if user is None:
        fail(f"No user with email {email.strip()}.")
    return user


def require_org(slug: str) -> OrgRef:
    """The organization with this slug, or a clean failure naming it."""
    org = find_org_by_slug(slug.strip())
    if org is None or org.id is None:
        fail(f"No organization with slug {slug.strip()!r}.")
    return OrgRef(org.id, org.slug)


def resolve_target(user_email: str | None, org_slug: str | None) -> Target:
    """The wallet named by exactly one of --user EMAIL / --org SLUG."""
    if user_email is not None and org_slug is None:
        user = require_user(user_email)
        return Target(WalletOwner.user(user.id), f"user {user.email}")
    if org_slug is not None and user_email is None:
        org = require_org(org_slug)
        return Target(WalletOwner.org(org.id), f"org {org.slug}")
    fail("Give exactly one of --user EMAIL or --org SLUG.")


def require_reason(reason: str | None) -> str:
    """Operator changes must say why; refuse before touching the database."""
    if reason is None or not reason.strip():
        fail("A reason is required: pass --reason TEXT (it is recorded in the ledger).")
    return reason


def operator_name(operator: str | None) -> str:
    """--operator, else the OS login name; refuse rather than record an anonymous change."""
    if operator is not None:
        return operator
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        fail("Cannot tell who you are from the OS; pass --operator NAME.")
