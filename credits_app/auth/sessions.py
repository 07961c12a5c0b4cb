"""Session tokens: random, shown to the client once, stored only as a SHA-256 digest.

A bearer token and the browser cookie are the same kind of token, so programmatic clients and
the UI share one revocable, expiring session table.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Table, bindparam
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select, update

from credits_app.auth import token_cache
from credits_app.auth.accounts import UserInfo
from credits_app.auth.errors import NotAuthenticated
from credits_app.clock import as_utc, utcnow
from credits_app.db import read_only, unit_of_work
from credits_app.models import ApiToken, AuthSession, User

SESSION_LIFETIME = timedelta(days=30)
TOKEN_PREFIX = "uc_"
API_TOKEN_PREFIX = TOKEN_PREFIX + "pat_"  # personal API tokens (auth/account_settings.py)
LAST_USED_PRECISION = timedelta(minutes=1)  # at most one write per API token per minute
# The browser carries the token in this HttpOnly cookie, next to a readable CSRF cookie; both
# doors (the API and the Reflex states) read them, so the names live here once.
SESSION_COOKIE = "uc_session"
CSRF_COOKIE = "uc_csrf"


@dataclass(frozen=True)
class IssuedToken:
    """A new session's secret token (never stored) and when it stops working."""

    token: str
    expires_at: datetime


def start_session(user_id: int, *, session: Session | None = None) -> IssuedToken:
    """Open a session for the user and return its token."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires_at = utcnow() + SESSION_LIFETIME
    with unit_of_work(session) as db:
        db.add(AuthSession(user_id=user_id, token_hash=token_digest(token), expires_at=expires_at))
    return IssuedToken(token, expires_at)


_users: Table = User.__table__  # type: ignore[attr-defined]
_sessions: Table = AuthSession.__table__  # type: ignore[attr-defined]
# One statement, Core (no ORM objects), read without a transaction (db.read_only).
_SESSION_USER = (
    core_select(
        _users.c.id, _users.c.email, _users.c.name, _sessions.c.expires_at, _sessions.c.revoked_at
    )
    .join(_sessions, _sessions.c.user_id == _users.c.id)
    .where(_sessions.c.token_hash == bindparam("digest"))
)


def cached_user_for_token(token: str) -> UserInfo | None:
    """The user of a token checked moments ago in this worker, else None: no database, so
    the API can answer it on the event loop instead of a thread (issue 16)."""
    return token_cache.cached_user(token_digest(token))


def user_for_token(token: str, *, session: Session | None = None) -> UserInfo:
    """The signed-in user, or `NotAuthenticated` for an unknown, expired or revoked token.

    A live token's answer is cached for a few seconds (auth/token_cache.py: revocations end it
    at once in every worker of the machine); a lookup is one statement and commits nothing.
    """
    digest = token_digest(token)
    cached = token_cache.cached_user(digest)
    if cached is not None:
        return cached
    seen_epoch = token_cache.epoch()  # before the lookup: a racing revocation invalidates it
    with read_only(session) as db:
        found = db.execute(_SESSION_USER, {"digest": digest}).first()
    if found is None:
        # Not a session: maybe a personal API token (auth/account_settings.py).
        owner = user_for_api_token(token, session=session)
        if owner is None:
            raise NotAuthenticated()
        token_cache.remember(digest, owner, None, seen_epoch)
        return owner
    expires_at = as_utc(found.expires_at)
    if found.revoked_at is not None or expires_at <= utcnow():
        raise NotAuthenticated()
    user = UserInfo(found.id, found.email, found.name)
    token_cache.remember(digest, user, expires_at, seen_epoch)
    return user


def end_session(token: str, *, session: Session | None = None) -> None:
    """Revoke the session (logout); revoking twice is harmless."""
    with unit_of_work(session) as db:
        db.exec(
            update(AuthSession)
            .where(col(AuthSession.token_hash) == token_digest(token))
            .where(col(AuthSession.revoked_at).is_(None))
            .values(revoked_at=utcnow())
        )
        token_cache.revoked(db)


def user_for_api_token(token: str, *, session: Session | None = None) -> UserInfo | None:
    """The owner of a live API token (and its `last_used_at` moved on), else None."""
    if not token.startswith(API_TOKEN_PREFIX):
        return None
    with unit_of_work(session) as db:
        found = db.exec(
            select(ApiToken, User)
            .join(User, col(User.id) == col(ApiToken.user_id))
            .where(col(ApiToken.token_hash) == token_digest(token))
        ).first()
        if found is None or found[0].revoked_at is not None:
            return None
        row, user = found
        now = utcnow()
        if row.last_used_at is None or now - as_utc(row.last_used_at) >= LAST_USED_PRECISION:
            row.last_used_at = now
            db.add(row)
        assert user.id is not None
        return UserInfo(user.id, user.email, user.name)


def token_digest(token: str) -> str:
    """Tokens carry 256 random bits, so a fast hash is enough (no salt or KDF needed)."""
    return hashlib.sha256(token.encode()).hexdigest()
