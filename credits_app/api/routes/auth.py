"""POST /api/auth/register, /login, /logout: sessions for scripts (bearer) and browsers (cookie)."""

import secrets
from typing import Annotated

from fastapi import Depends, Request, Response

from credits_app.api.deps import CurrentUser, client_address, session_token
from credits_app.api.encoding import respond
from credits_app.api.responses import api_router
from credits_app.api.schemas import AuthOut, LoginIn, RegisterIn, UserOut
from credits_app.auth import login as login_service
from credits_app.auth.sessions import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    SESSION_LIFETIME,
    IssuedToken,
    end_session,
)
from credits_app.settings import get_settings

router = api_router("auth")


@router.post("/auth/register", status_code=201, response_model=AuthOut)
def register(body: RegisterIn) -> Response:
    """Create an account with its personal wallet and sign it in."""
    user, token = login_service.register(body.email, body.name, body.password)
    return _signed_in(AuthOut(user=UserOut.of(user), token=token.token), token, status=201)


@router.post("/auth/login", response_model=AuthOut)
def login(body: LoginIn, address: Annotated[str, Depends(client_address)]) -> Response:
    """Exchange email and password for a session token (also set as an HttpOnly cookie)."""
    user, token = login_service.login(body.email, body.password, address)
    return _signed_in(AuthOut(user=UserOut.of(user), token=token.token), token)


@router.post("/auth/logout", status_code=204, response_class=Response)
def logout(request: Request, user: CurrentUser) -> Response:
    """Revoke the session and clear the browser cookies."""
    token = session_token(request)
    if token:
        end_session(token)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


def _signed_in(body: AuthOut, token: IssuedToken, status: int = 200) -> Response:
    response = respond(body, status_code=status)
    secure = get_settings().app_base_url.startswith("https://")
    max_age = int(SESSION_LIFETIME.total_seconds())
    response.set_cookie(
        SESSION_COOKIE,
        token.token,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )
    # Readable by the page's script, which echoes it in X-CSRF-Token (double-submit).
    response.set_cookie(
        CSRF_COOKIE,
        secrets.token_urlsafe(32),
        max_age=max_age,
        httponly=False,
        samesite="lax",
        secure=secure,
        path="/",
    )
    return response
