"""What a person manages about their own account: name, password, sessions, API tokens.

- Changing the password needs the current one, and ends every *other* session (a stolen
  cookie stops working); the session making the change stays signed in.
- "Sign out everywhere" ends every session, this one included.
- Personal API tokens are for scripts: named, shown once at creation, stored only as SHA-256,
  listed with when they were made and last used, revocable. They authenticate like a session
  token (`Authorization: Bearer …`) but never expire by themselves and survive a password
  change; revoking is how to stop one.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select, update

from credits_app.auth import token_cache
from credits_app.auth.accounts import UserInfo
from credits_app.auth.errors import InvalidCredentials
from credits_app.auth.login import check_password_policy
from credits_app.auth.passwords import hash_password, verify_password
from credits_app.auth.sessions import API_TOKEN_PREFIX, token_digest
from credits_app.clock import as_utc, utcnow
from credits_app.credits.errors import CreditsError, InvalidArgument
from credits_app.db import unit_of_work
from credits_app.models import ApiToken, AuthSession, User

MAX_NAME_LENGTH = 100


class ApiTokenNotFound(CreditsError):
    """No such token among the caller's."""

    code = "api_token_not_found"

    def __init__(self) -> None:
        super().__init__("No such API token.")


@dataclass(frozen=True)
class ApiTokenInfo:
    """A token as its owner sees it later: never the secret again."""

    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True)
class NewApiToken:
    """A token just made: `token` is shown this once and stored nowhere."""

    info: ApiTokenInfo
    token: str


def update_profile(user_id: int, name: str) -> UserInfo:
    """Change the display name (what orgs and the avatar show)."""
    name = name.strip()
    if not 0 < len(name) <= 200:
        raise InvalidArgument("Name must be 1 to 200 characters.", field="name")
    with unit_of_work() as db:
        user = _user(db, user_id)
        user.name = name
        db.add(user)
        token_cache.revoked(db)  # cached answers carry the name: look them up again
        return UserInfo(user_id, user.email, user.name)


def change_password(user_id: int, current: str, new: str, *, keep_token: str | None) -> int:
    """Check `current`, set `new`, end every other session; returns how many were ended."""
    check_password_policy(new)
    with unit_of_work() as db:
        user = _user(db, user_id)
        if user.password_hash is None or not verify_password(current, user.password_hash):
            raise InvalidCredentials()
        user.password_hash = hash_password(new)
        db.add(user)
        keep = token_digest(keep_token) if keep_token else ""
        ended = db.exec(
            update(AuthSession)
            .where(col(AuthSession.user_id) == user_id, col(AuthSession.revoked_at).is_(None))
            .where(col(AuthSession.token_hash) != keep)
            .values(revoked_at=utcnow())
        )
        token_cache.revoked(db)
        return int(ended.rowcount or 0)


def sign_out_everywhere(user_id: int) -> None:
    """End every session of the user, in every browser and script (API tokens stay)."""
    with unit_of_work() as db:
        db.exec(
            update(AuthSession)
            .where(col(AuthSession.user_id) == user_id, col(AuthSession.revoked_at).is_(None))
            .values(revoked_at=utcnow())
        )
        token_cache.revoked(db)


def create_api_token(user_id: int, name: str) -> NewApiToken:
    """A new named token for scripts; the secret is returned once."""
    name = name.strip()
    if not 0 < len(name) <= MAX_NAME_LENGTH:
        raise InvalidArgument(f"Name must be 1 to {MAX_NAME_LENGTH} characters.", field="name")
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    with unit_of_work() as db:
        row = ApiToken(user_id=user_id, name=name, token_hash=token_digest(token))
        db.add(row)
        db.flush()
        return NewApiToken(_info(row), token)


def list_api_tokens(user_id: int) -> list[ApiTokenInfo]:
    """The user's live tokens, newest first."""
    with unit_of_work() as db:
        rows = db.exec(
            select(ApiToken)
            .where(col(ApiToken.user_id) == user_id, col(ApiToken.revoked_at).is_(None))
            .order_by(col(ApiToken.id).desc())
        ).all()
        return [_info(row) for row in rows]


def revoke_api_token(user_id: int, token_id: int) -> None:
    """Stop a token for good; another user's token id is `ApiTokenNotFound`, never revealed."""
    with unit_of_work() as db:
        row = db.get(ApiToken, token_id)
        if row is None or row.user_id != user_id or row.revoked_at is not None:
            raise ApiTokenNotFound()
        row.revoked_at = utcnow()
        db.add(row)
        token_cache.revoked(db)


def _user(db: Session, user_id: int) -> User:
    user = db.get(User, user_id)
    assert user is not None, "a signed-in user exists"
    return user


def _info(row: ApiToken) -> ApiTokenInfo:
    assert row.id is not None
    return ApiTokenInfo(
        row.id, row.name, as_utc(row.created_at), row.last_used_at and as_utc(row.last_used_at)
    )
