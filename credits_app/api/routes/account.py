"""The caller's own account: PATCH /api/me (name), POST /api/me/password, POST
/api/auth/logout-all, and personal API tokens (GET/POST /api/me/tokens, DELETE …/{tokenId}).

Thin doors onto auth/account_settings.py, which decides everything (the current password is
checked there; other sessions end there).
"""

from typing import Annotated

from fastapi import Path, Request, Response

from credits_app.api.deps import CurrentUser, session_token
from credits_app.api.encoding import respond
from credits_app.api.responses import api_router
from credits_app.api.schemas import (
    ApiTokenIn,
    ApiTokenOut,
    ApiTokensOut,
    NewApiTokenOut,
    PasswordChangeIn,
    ProfileIn,
    UserOut,
)
from credits_app.auth import account_settings
from credits_app.auth.sessions import CSRF_COOKIE, SESSION_COOKIE

router = api_router("account")
TokenId = Annotated[int, Path(alias="tokenId", ge=1, le=2**31 - 1, description="API token id")]


@router.patch("/me", response_model=UserOut)
def update_profile(body: ProfileIn, user: CurrentUser) -> Response:
    """Change my display name."""
    return respond(UserOut.of(account_settings.update_profile(user.id, body.name)))


@router.post("/me/password", status_code=204, response_class=Response)
def change_password(body: PasswordChangeIn, request: Request, user: CurrentUser) -> Response:
    """Set a new password (the current one required); every other session ends."""
    account_settings.change_password(
        user.id, body.current_password, body.new_password, keep_token=session_token(request)
    )
    return Response(status_code=204)


@router.post("/auth/logout-all", status_code=204, response_class=Response)
def logout_everywhere(user: CurrentUser) -> Response:
    """End every session of mine, this one included (API tokens keep working)."""
    account_settings.sign_out_everywhere(user.id)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


@router.get("/me/tokens", response_model=ApiTokensOut)
def list_tokens(user: CurrentUser) -> Response:
    """My live API tokens (names and dates, never the secrets)."""
    items = [ApiTokenOut.of(info) for info in account_settings.list_api_tokens(user.id)]
    return respond(ApiTokensOut(items=items))


@router.post("/me/tokens", status_code=201, response_model=NewApiTokenOut)
def create_token(body: ApiTokenIn, user: CurrentUser) -> Response:
    """A new API token for scripts; `token` is in this answer only."""
    made = account_settings.create_api_token(user.id, body.name)
    info = ApiTokenOut.of(made.info)
    return respond(NewApiTokenOut(**info.model_dump(), token=made.token), 201)


@router.delete("/me/tokens/{tokenId}", status_code=204, response_class=Response)
def revoke_token(token_id: TokenId, user: CurrentUser) -> Response:
    """Revoke one of my API tokens."""
    account_settings.revoke_api_token(user.id, token_id)
    return Response(status_code=204)
