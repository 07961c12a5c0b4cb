"""Register and sign in, with failed logins throttled per account and per client address.

Failures are counted in the database (not process memory) so every app worker sees the same
count. An account's count restarts after a successful login; an address's does not.

Each attempt is claimed before its password is checked: one short transaction, serialized per
account and per address, counts earlier failures and records this attempt as a failure. A burst
of parallel guesses therefore gets no more password checks than the limit allows; a correct
password turns its claimed row into a success afterwards.
"""

import math
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import func, text, update
from sqlmodel import Session, col, select

from credits_app.auth.accounts import UserInfo, create_user, normalize_email
from credits_app.auth.errors import InvalidCredentials, TooManyAttempts
from credits_app.auth.passwords import hash_password, verify_password
from credits_app.auth.sessions import IssuedToken, start_session
from credits_app.clock import as_utc, utcnow
from credits_app.credits.amounts import parse_credits
from credits_app.credits.categories import LotSource
from credits_app.credits.credit_service import grant_personal_credits
from credits_app.credits.drafts import NewLot
from credits_app.credits.errors import InvalidArgument
from credits_app.db import unit_of_work
from credits_app.models import LoginAttempt, User
from credits_app.settings import get_settings

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20
MAX_ADDRESS_LENGTH = 64  # the width of login_attempts.ip
THROTTLE_WINDOW = timedelta(minutes=15)


def register(email: str, name: str, password: str) -> tuple[UserInfo, IssuedToken]:
    """Create the account (and its wallet) and sign it in."""
    check_password_policy(password)
    with unit_of_work() as db:
        user = create_user(email, name, password, session=db)
        _grant_signup_bonus(user.id, db)
        token = start_session(user.id, session=db)
    return user, token


def _grant_signup_bonus(user_id: int, db: Session) -> None:
    """`SIGNUP_BONUS_CREDITS` into the new wallet, in the sign-up's own transaction, once
    (keyed by the user), as a promotion lot that expires after `SIGNUP_BONUS_EXPIRES_DAYS`
    (0 = never); being a promotion with the soonest expiry, it is spent first (DESIGN §3b)."""
    settings = get_settings()
    bonus = settings.signup_bonus_credits
    if bonus <= 0:
        return
    days = settings.signup_bonus_expires_days
    expires_at = utcnow() + timedelta(days=days) if days > 0 else None
    grant_personal_credits(
        user_id,
        bonus,
        description="Welcome bonus",
        metadata={"reason": "signup_bonus"},
        idempotency_key=f"signup-bonus:{user_id}",
        session=db,
        lots=(NewLot(parse_credits(bonus), LotSource.PROMOTION, expires_at),),
    )


def login(email: str, password: str, client_address: str) -> tuple[UserInfo, IssuedToken]:
    """Check the password and open a session; `TooManyAttempts` once the window is used up."""
    email = normalize_email(email)
    attempt_id = _claim_attempt(email, client_address[:MAX_ADDRESS_LENGTH])
    user = _verified_user(email, password)
    if user is None:
        raise InvalidCredentials()
    _mark_succeeded(attempt_id)
    return user, start_session(user.id)


def check_password_policy(password: str) -> None:
    """Long enough to resist guessing, short enough not to be a hashing DoS."""
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise InvalidArgument(
            f"Password must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters.",
            field="password",
        )


def _verified_user(email: str, password: str) -> UserInfo | None:
    """The user when the password matches; hashes even for unknown emails to hide which exist."""
    with unit_of_work() as db:
        user = db.exec(select(User).where(col(User.email) == email)).first()
    if user is None or user.password_hash is None or len(password) > MAX_PASSWORD_LENGTH:
        verify_password(password[:MAX_PASSWORD_LENGTH], _dummy_hash())
        return None
    if not verify_password(password, user.password_hash):
        return None
    assert user.id is not None
    return UserInfo(user.id, user.email, user.name)


def _claim_attempt(email: str, client_address: str) -> int:
    """Refuse when throttled, else record this attempt as a failure; returns its row id.

    Counting and recording happen in one transaction that holds a lock per account and per
    address (Postgres advisory locks, taken in a fixed order; SQLite's BEGIN IMMEDIATE already
    serializes writers), so concurrent attempts see each other's claims.
    """
    with unit_of_work() as db:
        if db.get_bind().dialect.name == "postgresql":
            for key in sorted((f"login:email:{email}", f"login:ip:{client_address}")):
                db.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})
        _refuse_when_throttled(db, email, client_address)
        attempt = LoginAttempt(email=email, ip=client_address, succeeded=False)
        db.add(attempt)
        db.flush()
        assert attempt.id is not None
        return attempt.id


def _mark_succeeded(attempt_id: int) -> None:
    with unit_of_work() as db:
        db.exec(
            update(LoginAttempt).where(col(LoginAttempt.id) == attempt_id).values(succeeded=True)
        )


def _refuse_when_throttled(db: Session, email: str, client_address: str) -> None:
    """`TooManyAttempts` when the account or the address has used up its failures."""
    since = utcnow() - THROTTLE_WINDOW
    last_success = db.exec(
        select(func.max(LoginAttempt.created_at)).where(
            col(LoginAttempt.email) == email, col(LoginAttempt.succeeded).is_(True)
        )
    ).one()
    account_since = max(since, as_utc(last_success)) if last_success else since
    by_account = _failures(db, col(LoginAttempt.email) == email, account_since)
    by_address = _failures(db, col(LoginAttempt.ip) == client_address, since)
    for (count, oldest), allowed in (
        (by_account, MAX_FAILURES_PER_ACCOUNT),
        (by_address, MAX_FAILURES_PER_ADDRESS),
    ):
        if count >= allowed and oldest is not None:
            wait = as_utc(oldest) + THROTTLE_WINDOW - utcnow()
            raise TooManyAttempts(max(1, math.ceil(wait.total_seconds())))


def _failures(db: Session, who: object, since: datetime) -> tuple[int, datetime | None]:
    """How many failures matched `who` since `since`, and when the oldest of them happened."""
    count, oldest = db.exec(
        select(func.count(), func.min(LoginAttempt.created_at)).where(
            who,  # type: ignore[arg-type]
            col(LoginAttempt.succeeded).is_(False),
            col(LoginAttempt.created_at) > since,
        )
    ).one()
    return int(count), oldest


@cache
def _dummy_hash() -> str:
    return hash_password("not-a-real-password")
