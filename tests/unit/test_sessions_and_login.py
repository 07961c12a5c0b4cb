"""Sessions, sign-in throttling, password policy and org access rules, on SQLite and Postgres.

Time moves with `frozen_at`; every test makes its own users, emails and client addresses, since
the Postgres database is shared by the whole test session.
"""

import hashlib
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import Engine
from sqlmodel import col, select

from credits_app.api.errors import STATUS_BY_CODE
from credits_app.auth import login as login_service
from credits_app.auth import passwords
from credits_app.auth.accounts import AlreadyExists, Role, UserInfo, add_member, create_user
from credits_app.auth.errors import (
    Forbidden,
    InvalidCredentials,
    NotAuthenticated,
    OrgNotFound,
    TooManyAttempts,
    UserNotFound,
)
from credits_app.auth.login import (
    MAX_FAILURES_PER_ACCOUNT,
    MAX_FAILURES_PER_ADDRESS,
    THROTTLE_WINDOW,
    check_password_policy,
)
from credits_app.auth.organizations import (
    add_member_by_email,
    create_org_for_user,
    list_user_orgs,
    require_manager,
    require_member,
    slugify,
)
from credits_app.auth.sessions import (
    SESSION_LIFETIME,
    end_session,
    start_session,
    token_digest,
    user_for_token,
)
from credits_app.clock import frozen_at
from credits_app.credits.credit_service import get_history, get_personal_balance
from credits_app.credits.errors import InvalidArgument
from credits_app.credits.lot_reads import list_lots
from credits_app.credits.owners import WalletOwner
from credits_app.db import unit_of_work
from credits_app.models import AuthSession, LoginAttempt, Membership
from credits_app.settings import get_settings
from tests.conftest import make_org, make_user

pytestmark = pytest.mark.usefixtures("any_engine")

PASSWORD = "correct horse battery"
T0 = datetime(2030, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Real argon2id at minimal cost: these tests are about sessions and throttling, and the
    production hash settings are covered in test_accounts."""
    fast = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
    monkeypatch.setattr(passwords, "_hasher", fast)
    login_service._dummy_hash.cache_clear()
    yield
    login_service._dummy_hash.cache_clear()


@pytest.fixture
def verified_passwords(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every password `login` checks against a hash, in order."""
    checked: list[str] = []
    real = passwords.verify_password

    def spy(password: str, password_hash: str) -> bool:
        checked.append(password)
        return real(password, password_hash)

    monkeypatch.setattr(login_service, "verify_password", spy)
    return checked


def new_email() -> str:
    return f"login-{uuid.uuid4().hex[:12]}@example.com"


def new_address() -> str:
    """A distinct fake client address per test (the shared Postgres keeps every attempt)."""
    return f"test-{uuid.uuid4().hex[:16]}"


def registered() -> UserInfo:
    user, _ = login_service.register(new_email(), "Person", PASSWORD)
    return user


# --- sessions -------------------------------------------------------------------------------


def test_token_is_stored_only_as_its_sha256_digest(any_engine: Engine) -> None:
    user = make_user()
    issued = start_session(user.id)
    with unit_of_work() as db:
        rows = db.exec(select(AuthSession).where(col(AuthSession.user_id) == user.id)).all()
    assert len(rows) == 1
    row = rows[0]
    assert row.token_hash == hashlib.sha256(issued.token.encode()).hexdigest()
    assert row.token_hash == token_digest(issued.token)
    stored_text = " ".join(str(value) for value in row.model_dump().values())
    assert issued.token not in stored_text
    assert issued.token.removeprefix("uc_") not in stored_text
    assert user_for_token(issued.token) == user


def test_each_sign_in_gets_its_own_random_token(any_engine: Engine) -> None:
    user = make_user()
    tokens = {start_session(user.id).token for _ in range(3)}
    assert len(tokens) == 3
    assert all(user_for_token(token) == user for token in tokens)


def test_unknown_token_is_not_authenticated(any_engine: Engine) -> None:
    start_session(make_user().id)
    with pytest.raises(NotAuthenticated):
        user_for_token("uc_" + "A" * 43)
    with pytest.raises(NotAuthenticated):
        user_for_token("")


def test_session_expires_after_its_lifetime(any_engine: Engine) -> None:
    user = make_user()
    with frozen_at(T0):
        issued = start_session(user.id)
    assert issued.expires_at == T0 + SESSION_LIFETIME
    with frozen_at(T0 + SESSION_LIFETIME - timedelta(seconds=1)):
        assert user_for_token(issued.token) == user
    with frozen_at(T0 + SESSION_LIFETIME), pytest.raises(NotAuthenticated):
        user_for_token(issued.token)


def test_revoked_session_is_rejected_and_revoking_twice_is_harmless(any_engine: Engine) -> None:
    user = make_user()
    kept, ended = start_session(user.id), start_session(user.id)
    end_session(ended.token)
    end_session(ended.token)
    with pytest.raises(NotAuthenticated):
        user_for_token(ended.token)
    assert user_for_token(kept.token) == user
    with unit_of_work() as db:
        row = db.exec(
            select(AuthSession).where(col(AuthSession.token_hash) == token_digest(ended.token))
        ).one()
    assert row.revoked_at is not None


def test_revoking_an_unknown_token_changes_no_session(any_engine: Engine) -> None:
    user = make_user()
    issued = start_session(user.id)
    end_session("uc_not-a-real-token")
    assert user_for_token(issued.token) == user


# --- register and login ---------------------------------------------------------------------


def test_register_signs_the_new_user_in(any_engine: Engine) -> None:
    email = new_email()
    user, token = login_service.register(email.upper(), "Ada", PASSWORD)
    assert (user.email, user.name) == (email, "Ada")
    assert user_for_token(token.token) == user


@pytest.mark.parametrize("length", [0, 1, 7, 1025, 5000])
def test_password_policy_refuses_too_short_and_too_long(any_engine: Engine, length: int) -> None:
    with pytest.raises(InvalidArgument) as refused:
        check_password_policy("p" * length)
    assert refused.value.details == {"field": "password"}


@pytest.mark.parametrize("length", [8, 9, 1024])
def test_password_policy_accepts_8_to_1024_characters(any_engine: Engine, length: int) -> None:
    check_password_policy("p" * length)  # raises on refusal


def test_register_with_a_short_password_creates_no_user(any_engine: Engine) -> None:
    email = new_email()
    with pytest.raises(InvalidArgument):
        login_service.register(email, "Short", "seven77")
    with pytest.raises(InvalidCredentials):
        login_service.login(email, "seven77", new_address())


def test_login_with_the_right_password_opens_a_session(any_engine: Engine) -> None:
    user = registered()
    signed_in, token = login_service.login(f"  {user.email.upper()} ", PASSWORD, new_address())
    assert signed_in == user
    assert user_for_token(token.token) == user


def test_login_with_a_wrong_password_is_invalid_credentials(any_engine: Engine) -> None:
    user = registered()
    with pytest.raises(InvalidCredentials):
        login_service.login(user.email, PASSWORD + "!", new_address())


def test_login_with_an_unknown_email_is_invalid_credentials_after_a_hash(
    any_engine: Engine, verified_passwords: list[str]
) -> None:
    with pytest.raises(InvalidCredentials) as refused:
        login_service.login(new_email(), PASSWORD, new_address())
    assert refused.value.message == "The email or password is not correct."
    assert verified_passwords == [PASSWORD]  # same work as a known email: no timing oracle


def test_login_of_a_user_without_a_password_is_invalid_credentials(any_engine: Engine) -> None:
    user = create_user(new_email(), "No Password")
    with pytest.raises(InvalidCredentials):
        login_service.login(user.email, PASSWORD, new_address())


def test_overlong_password_is_invalid_credentials_not_hashed_in_full(
    any_engine: Engine, verified_passwords: list[str]
) -> None:
    user = registered()
    with pytest.raises(InvalidCredentials):
        login_service.login(user.email, PASSWORD + "x" * 5000, new_address())
    assert [len(p) for p in verified_passwords] == [login_service.MAX_PASSWORD_LENGTH]


def test_every_attempt_is_recorded_with_its_outcome(any_engine: Engine) -> None:
    user, address = registered(), new_address()
    with pytest.raises(InvalidCredentials):
        login_service.login(user.email, "wrong-password", address)
    login_service.login(user.email, PASSWORD, address)
    with unit_of_work() as db:
        attempts = db.exec(
            select(LoginAttempt)
            .where(col(LoginAttempt.ip) == address)
            .order_by(col(LoginAttempt.id))
        ).all()
    assert [(a.email, a.succeeded) for a in attempts] == [
        (user.email, False),
        (user.email, True),
    ]


# --- throttling -----------------------------------------------------------------------------


def fail_logins(email: str, address: str, times: int) -> None:
    for _ in range(times):
        with pytest.raises(InvalidCredentials):
            login_service.login(email, "wrong-password", address)


def test_account_is_throttled_after_five_failures_even_for_the_right_password(
    any_engine: Engine,
) -> None:
    user = registered()
    with frozen_at(T0):
        fail_logins(user.email, new_address(), MAX_FAILURES_PER_ACCOUNT)
    with frozen_at(T0 + timedelta(minutes=1)), pytest.raises(TooManyAttempts) as blocked:
        login_service.login(user.email, PASSWORD, new_address())  # from any address
    assert blocked.value.code == "too_many_attempts"
    assert blocked.value.retry_after_seconds == (THROTTLE_WINDOW - timedelta(minutes=1)).seconds
    assert blocked.value.details == {"retryAfterSeconds": 14 * 60}
    assert blocked.value.message.endswith("Try again in 14 minutes."), "says when, not 'later'"
    # Once the oldest failure leaves the 15-minute window, the right password works again.
    with frozen_at(T0 + THROTTLE_WINDOW + timedelta(seconds=1)):
        assert login_service.login(user.email, PASSWORD, new_address())[0] == user


def test_four_failures_do_not_throttle_the_account(any_engine: Engine) -> None:
    user, address = registered(), new_address()
    fail_logins(user.email, address, MAX_FAILURES_PER_ACCOUNT - 1)
    assert login_service.login(user.email, PASSWORD, address)[0] == user


def test_a_success_restarts_the_accounts_failure_count(any_engine: Engine) -> None:
    user, address = registered(), new_address()
    with frozen_at(T0):
        fail_logins(user.email, address, MAX_FAILURES_PER_ACCOUNT - 1)
    with frozen_at(T0 + timedelta(seconds=1)):
        login_service.login(user.email, PASSWORD, address)
    with frozen_at(T0 + timedelta(seconds=2)):
        fail_logins(user.email, address, MAX_FAILURES_PER_ACCOUNT - 1)  # 8 in the window
    with frozen_at(T0 + timedelta(seconds=3)):
        assert login_service.login(user.email, PASSWORD, address)[0] == user
    with frozen_at(T0 + timedelta(seconds=4)):
        fail_logins(user.email, address, MAX_FAILURES_PER_ACCOUNT)
    with frozen_at(T0 + timedelta(seconds=5)), pytest.raises(TooManyAttempts):
        login_service.login(user.email, PASSWORD, address)


def test_an_address_is_throttled_after_twenty_failures_across_accounts(
    any_engine: Engine,
) -> None:
    address, elsewhere = new_address(), new_address()
    user = registered()
    with frozen_at(T0):
        for _ in range(MAX_FAILURES_PER_ADDRESS):  # unknown emails: no account is throttled
            with pytest.raises(InvalidCredentials):
                login_service.login(new_email(), "wrong-password", address)
    with frozen_at(T0 + timedelta(minutes=5)), pytest.raises(TooManyAttempts) as blocked:
        login_service.login(user.email, PASSWORD, address)
    assert blocked.value.retry_after_seconds == 10 * 60
    # Another address signs the same user in; a success does not reset the address's count.
    with frozen_at(T0 + timedelta(minutes=5)):
        assert login_service.login(user.email, PASSWORD, elsewhere)[0] == user
        with pytest.raises(TooManyAttempts):
            login_service.login(user.email, PASSWORD, address)
    with frozen_at(T0 + THROTTLE_WINDOW + timedelta(seconds=1)):
        assert login_service.login(user.email, PASSWORD, address)[0] == user


def test_an_overlong_address_is_throttled_like_any_other(any_engine: Engine) -> None:
    """Addresses are stored cut to the column's 64 characters; they must be counted that way."""
    address = new_address() + "x" * 80
    with frozen_at(T0):
        for _ in range(MAX_FAILURES_PER_ADDRESS):
            with pytest.raises(InvalidCredentials):
                login_service.login(new_email(), "wrong-password", address)
        with pytest.raises(TooManyAttempts):
            login_service.login(new_email(), "wrong-password", address)


def test_refused_attempts_while_throttled_are_not_counted(any_engine: Engine) -> None:
    user, address = registered(), new_address()
    with frozen_at(T0):
        fail_logins(user.email, address, MAX_FAILURES_PER_ACCOUNT)
    with frozen_at(T0 + timedelta(minutes=1)):
        for _ in range(3):
            with pytest.raises(TooManyAttempts):
                login_service.login(user.email, "wrong-password", address)
    with unit_of_work() as db:
        count = len(db.exec(select(LoginAttempt).where(col(LoginAttempt.ip) == address)).all())
    assert count == MAX_FAILURES_PER_ACCOUNT


def test_a_parallel_burst_of_guesses_gets_only_five_password_checks(
    any_engine: Engine, verified_passwords: list[str]
) -> None:
    """The throttle must hold under concurrency: checking the count and recording the failure
    in separate steps would let a parallel burst try any number of passwords."""
    user, address, guesses = registered(), new_address(), 15  # below the address limit
    barrier = threading.Barrier(guesses)

    def guess(number: int) -> str:
        barrier.wait()
        try:
            login_service.login(user.email, f"wrong-guess-{number}", address)
        except InvalidCredentials:
            return "checked"
        except TooManyAttempts:
            return "throttled"
        return "signed in"

    with ThreadPoolExecutor(guesses) as pool:
        outcomes = list(pool.map(guess, range(guesses)))
    assert outcomes.count("checked") == MAX_FAILURES_PER_ACCOUNT
    assert outcomes.count("throttled") == guesses - MAX_FAILURES_PER_ACCOUNT
    assert len([p for p in verified_passwords if p.startswith("wrong-guess")]) == 5


# --- organizations --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Acme Robotics, Inc.", "acme-robotics-inc"),
        ("  Hello   World  ", "hello-world"),
        ("ÜBER café", "ber-caf"),
        ("---", ""),
        ("R2-D2 & C-3PO", "r2-d2-c-3po"),
        ("a" * 150, "a" * 100),
        ("a" * 99 + " b", "a" * 99),
    ],
)
def test_slugify_makes_lowercase_hyphenated_slugs(any_engine: Engine, name: str, slug: str) -> None:
    assert slugify(name) == slug


def test_create_org_derives_the_slug_and_refuses_names_without_one(any_engine: Engine) -> None:
    owner = make_user()
    tag = uuid.uuid4().hex[:8]
    org = create_org_for_user(owner.id, f"  Team {tag}  ")
    assert (org.name, org.slug, org.role) == (f"Team {tag}", f"team-{tag}", Role.OWNER)
    assert list_user_orgs(owner.id) == [org]
    with pytest.raises(InvalidArgument):
        create_org_for_user(owner.id, "!!!")
    with pytest.raises(InvalidArgument):
        create_org_for_user(owner.id, "   ")


def test_require_member_returns_the_role_and_hides_orgs_from_outsiders(
    any_engine: Engine,
) -> None:
    owner, member, outsider = make_user(), make_user(), make_user()
    org = make_org(owner)
    add_member(org.id, member.id, Role.MEMBER)
    assert require_member(owner.id, org.id) is Role.OWNER
    assert require_member(member.id, org.id) is Role.MEMBER
    with pytest.raises(OrgNotFound) as outside:
        require_member(outsider.id, org.id)
    with pytest.raises(OrgNotFound) as missing:
        require_member(outsider.id, 2**31 - 1)
    assert (outside.value.message, outside.value.details) == (
        missing.value.message,
        missing.value.details,
    )
    assert STATUS_BY_CODE[outside.value.code] == 404


def test_require_manager_allows_owners_and_admins_only(any_engine: Engine) -> None:
    owner, admin, member, outsider = make_user(), make_user(), make_user(), make_user()
    org = make_org(owner)
    add_member(org.id, admin.id, Role.ADMIN)
    add_member(org.id, member.id, Role.MEMBER)
    assert require_manager(owner.id, org.id) is Role.OWNER
    assert require_manager(admin.id, org.id) is Role.ADMIN
    with pytest.raises(Forbidden) as refused:
        require_manager(member.id, org.id)
    assert (refused.value.code, refused.value.details) == ("forbidden", {"role": "member"})
    assert STATUS_BY_CODE["forbidden"] == 403
    with pytest.raises(OrgNotFound):
        require_manager(outsider.id, org.id)


def members_of(org_id: int) -> dict[int, str]:
    with unit_of_work() as db:
        rows = db.exec(select(Membership).where(col(Membership.org_id) == org_id)).all()
    return {row.user_id: row.role for row in rows}


def test_add_member_by_email_adds_with_the_given_role(any_engine: Engine) -> None:
    owner, admin, newcomer = make_user(), make_user(), make_user()
    org = make_org(owner)
    assert add_member_by_email(owner.id, org.id, admin.email.upper(), "admin") == (
        admin.id,
        Role.ADMIN,
    )
    assert add_member_by_email(admin.id, org.id, newcomer.email, "member") == (
        newcomer.id,
        Role.MEMBER,
    )
    assert members_of(org.id) == {owner.id: "owner", admin.id: "admin", newcomer.id: "member"}


def test_add_member_by_email_unknown_email_is_user_not_found(any_engine: Engine) -> None:
    owner = make_user()
    org = make_org(owner)
    with pytest.raises(UserNotFound) as refused:
        add_member_by_email(owner.id, org.id, new_email(), "member")
    assert refused.value.code == "user_not_found"
    assert STATUS_BY_CODE["user_not_found"] == 404
    assert members_of(org.id) == {owner.id: "owner"}


def test_add_member_by_email_twice_is_already_exists(any_engine: Engine) -> None:
    owner, member = make_user(), make_user()
    org = make_org(owner)
    add_member_by_email(owner.id, org.id, member.email, "member")
    with pytest.raises(AlreadyExists) as refused:
        add_member_by_email(owner.id, org.id, member.email, "admin")
    assert refused.value.code == "already_exists"
    assert STATUS_BY_CODE["already_exists"] == 409
    with pytest.raises(AlreadyExists):
        add_member_by_email(owner.id, org.id, owner.email, "member")  # the owner is a member
    assert members_of(org.id) == {owner.id: "owner", member.id: "member"}


@pytest.mark.parametrize("role", ["owner", "OWNER", "superuser", ""])
def test_add_member_by_email_refuses_roles_other_than_admin_or_member(
    any_engine: Engine, role: str
) -> None:
    owner, other = make_user(), make_user()
    org = make_org(owner)
    with pytest.raises(InvalidArgument) as refused:
        add_member_by_email(owner.id, org.id, other.email, role)
    assert refused.value.details == {"field": "role"}
    assert members_of(org.id) == {owner.id: "owner"}


def test_add_member_by_email_needs_a_manager(any_engine: Engine) -> None:
    owner, member, outsider, target = make_user(), make_user(), make_user(), make_user()
    org = make_org(owner)
    add_member(org.id, member.id, Role.MEMBER)
    with pytest.raises(Forbidden):
        add_member_by_email(member.id, org.id, target.email, "member")
    with pytest.raises(OrgNotFound):
        add_member_by_email(outsider.id, org.id, target.email, "member")
    with pytest.raises(OrgNotFound):
        add_member_by_email(outsider.id, org.id, new_email(), "member")  # no email probing
    assert target.id not in members_of(org.id)


# --- sign-up bonus --------------------------------------------------------------------------


@pytest.fixture
def signup_bonus(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """SIGNUP_BONUS_CREDITS set for one test (the settings are cached per process)."""
    monkeypatch.setenv("SIGNUP_BONUS_CREDITS", "25.5")
    get_settings.cache_clear()
    yield "25.5"
    monkeypatch.delenv("SIGNUP_BONUS_CREDITS")
    get_settings.cache_clear()


def test_a_new_account_starts_empty_unless_a_signup_bonus_is_set() -> None:
    user = registered()
    assert get_history(WalletOwner.user(user.id)).items == []


def test_the_signup_bonus_is_granted_once_in_the_signup_transaction(signup_bonus: str) -> None:
    user = registered()
    entries = get_history(WalletOwner.user(user.id)).items
    assert [(e.type, e.amount, e.description) for e in entries] == [
        ("grant", Decimal(signup_bonus), "Welcome bonus")
    ]
    assert get_personal_balance(user.id) == Decimal(signup_bonus)
    (lot,) = list_lots(WalletOwner.user(user.id))
    assert lot.source == "promotion", "an expiring promotion lot, spent before paid credits"
    assert lot.expires_at is not None
    assert timedelta(days=29) < lot.expires_at - datetime.now(UTC) <= timedelta(days=30)
