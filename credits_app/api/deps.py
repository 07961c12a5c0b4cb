"""Who is calling: the signed-in user (bearer token or session cookie), org access, service key.

Cookie-authenticated requests that change state must echo the CSRF cookie in `X-CSRF-Token`
(double-submit): a cross-site form can send the cookie but cannot read it. Bearer tokens are
never sent by a browser on its own, so they need no such check.
"""

import hmac
import re
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BeforeValidator

from credits_app.auth.accounts import Role, UserInfo
from credits_app.auth.errors import NotAuthenticated
from credits_app.auth.organizations import require_manager, require_member
from credits_app.auth.sessions import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    cached_user_for_token,
    user_for_token,
)
from credits_app.credits.errors import CreditsError
from credits_app.settings import get_settings

CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfFailed(CreditsError):
    """A cookie-authenticated write without the matching CSRF header."""

    code = "csrf_failed"

    def __init__(self) -> None:
        super().__init__(f"Send the {CSRF_COOKIE} cookie's value in the {CSRF_HEADER} header.")


class ServiceApiDisabled(CreditsError):
    """SERVICE_API_KEY is not set, so /api/internal/* does not exist."""

    code = "service_api_disabled"

    def __init__(self) -> None:
        super().__init__("The service API is disabled (SERVICE_API_KEY is not set).")


class InvalidServiceKey(CreditsError):
    """A missing or wrong service key."""

    code = "invalid_service_key"

    def __init__(self) -> None:
        super().__init__("Send the service key as 'Authorization: Bearer <SERVICE_API_KEY>'.")


def bearer_token(request: Request) -> str | None:
    """The token of an `Authorization: Bearer …` header, if any."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


def session_token(request: Request) -> str | None:
    """The caller's session token: the bearer header first, else the browser cookie."""
    return bearer_token(request) or request.cookies.get(SESSION_COOKIE)


async def current_user(request: Request) -> UserInfo:
    """The signed-in user, or 401; enforces CSRF on cookie-authenticated writes.

    Async, so a token this worker checked moments ago costs no thread hop (FastAPI runs a
    plain `def` dependency in its threadpool); only a lookup goes to a thread.
    """
    token = _caller_token(request, request.headers.get(CSRF_HEADER, ""))
    cached = cached_user_for_token(token)
    return cached if cached is not None else await run_in_threadpool(user_for_token, token)


def signed_in_user(request: Request) -> UserInfo:
    """`current_user` for code already in a thread (a sync route that checks the caller
    itself): the same rules, looked up in place."""
    return _signed_in(request, request.headers.get(CSRF_HEADER, ""))


def form_poster(request: Request, form_csrf_token: str | None) -> UserInfo:
    """The signed-in user of a plain HTML form post (a server-rendered page, not the SPA).

    The same double-submit rule as `current_user`, except that a form cannot set headers: the
    page renders the CSRF cookie's value into a hidden field and the post sends it back.
    """
    given = request.headers.get(CSRF_HEADER) or form_csrf_token or ""
    return _signed_in(request, given)


def _signed_in(request: Request, csrf_given: str) -> UserInfo:
    return user_for_token(_caller_token(request, csrf_given))


def _caller_token(request: Request, csrf_given: str) -> str:
    """The bearer token, else the session cookie (CSRF-checked on writes), else 401."""
    token = bearer_token(request)
    if token is None:
        token = request.cookies.get(SESSION_COOKIE)
        if token and request.method not in SAFE_METHODS:
            _require_csrf(request, csrf_given)
    if not token:
        raise NotAuthenticated()
    return token


CurrentUser = Annotated[UserInfo, Depends(current_user)]
ASCII_INTEGER = re.compile(r"-?[0-9]+", re.ASCII)


def _ascii_integer(value: object) -> object:
    """Path and query integers are ASCII digits: pydantic alone would read "0_5", "+5" or " 5"
    as 5, so `/api/orgs/0_5/credits` named org 5."""
    if isinstance(value, str) and not ASCII_INTEGER.fullmatch(value):
        raise ValueError("must be an integer written with the digits 0-9")
    return value


AsciiInteger = BeforeValidator(_ascii_integer)
OrgId = Annotated[
    int,
    AsciiInteger,
    Path(alias="orgId", ge=1, le=2**31 - 1, description="Organization id"),
]
InvitationId = Annotated[
    int,
    AsciiInteger,
    Path(alias="invitationId", ge=1, le=2**31 - 1, description="Pending invitation id"),
]
MemberId = Annotated[
    int,
    AsciiInteger,
    Path(alias="userId", ge=1, le=2**31 - 1, description="Member's user id"),
]
Limit = Annotated[
    int,
    AsciiInteger,
    Query(description="Page size, 1 to 100", json_schema_extra={"minimum": 1, "maximum": 100}),
]
Cursor = Annotated[str | None, Query(max_length=200, description="nextCursor of the last page")]
# Every POST that moves credits or money takes one (DESIGN §4b).
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="Retry-safe key: a replay returns the original result, a changed body 409.",
    ),
]


@dataclass(frozen=True)
class OrgAccess:
    """A signed-in member of the org in the path, with their role."""

    user: UserInfo
    org_id: int
    role: Role


def org_member(user: CurrentUser, org_id: OrgId) -> OrgAccess:
    """Members may read; outsiders get 404, as if the org did not exist."""
    return OrgAccess(user, org_id, require_member(user.id, org_id))


def org_manager(user: CurrentUser, org_id: OrgId) -> OrgAccess:
    """Owners and admins only: 403 for members, 404 for outsiders."""
    return OrgAccess(user, org_id, require_manager(user.id, org_id))


OrgMember = Annotated[OrgAccess, Depends(org_member)]
OrgManager = Annotated[OrgAccess, Depends(org_manager)]


async def service_caller(request: Request) -> None:
    """Platform services authenticate with SERVICE_API_KEY (compared in constant time);
    async because it touches nothing but memory (a `def` would cost a thread hop)."""
    expected = get_settings().service_api_key
    if not expected:
        raise ServiceApiDisabled()
    given = bearer_token(request) or ""
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise InvalidServiceKey()


async def client_address(request: Request) -> str:
    """The peer address login throttling counts by (async: memory only, no thread hop)."""
    return request.client.host if request.client else "unknown"


def _require_csrf(request: Request, given: str) -> None:
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie.encode(), given.encode()):
        raise CsrfFailed()
