"""The token check is cached per worker, and every revocation ends cached answers at once."""

from typing import Any

import pytest
from sqlalchemy import Engine, event

from credits_app.auth import token_cache
from credits_app.auth.account_settings import (
    create_api_token,
    revoke_api_token,
    sign_out_everywhere,
    update_profile,
)
from credits_app.auth.errors import NotAuthenticated
from credits_app.auth.sessions import end_session, start_session, token_digest, user_for_token
from tests.conftest import make_user


@pytest.fixture(autouse=True)
def _empty_cache(any_engine: Engine) -> None:
    token_cache.clear()


def queries(engine: Engine, call: Any) -> int:
    count = 0

    def record(*args: Any) -> None:
        nonlocal count
        count += not args[2].startswith("BEGIN")  # SQLite's BEGIN is our listener's

    event.listen(engine, "before_cursor_execute", record)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return count


def test_a_checked_token_is_answered_again_without_a_query(any_engine: Engine) -> None:
    user = make_user("cached")
    token = start_session(user.id).token
    assert queries(any_engine, lambda: user_for_token(token)) == 1
    assert queries(any_engine, lambda: user_for_token(token)) == 0
    assert user_for_token(token).id == user.id


def test_sign_out_ends_the_cached_answer_at_once() -> None:
    token = start_session(make_user("leaving").id).token
    user_for_token(token)
    end_session(token)
    with pytest.raises(NotAuthenticated):
        user_for_token(token)


def test_a_revocation_in_another_worker_ends_this_workers_cached_answer() -> None:
    """Another process revokes through the shared counter file only: this process's dict
    is untouched, yet its cached answer is no longer trusted."""
    token = start_session(make_user("elsewhere").id).token
    user_for_token(token)
    assert token_cache.cached_user(token_digest(token)) is not None
    with token_cache.revocation_file().open("ab") as counter:  # what _bump does in the other
        counter.write(b".")
    assert token_cache.cached_user(token_digest(token)) is None


def test_an_answer_looked_up_before_a_racing_revocation_is_not_kept() -> None:
    user = make_user("racing")
    token = start_session(user.id).token
    seen = token_cache.epoch()  # a lookup starts...
    token_cache.revoked()  # ...a revocation commits while it runs...
    token_cache.remember(token_digest(token), user, None, seen)  # ...and it stores its answer
    assert token_cache.cached_user(token_digest(token)) is None


def test_sign_out_everywhere_and_token_revocation_end_cached_answers() -> None:
    user = make_user("everywhere")
    session_token = start_session(user.id).token
    api_token = create_api_token(user.id, "script")
    user_for_token(session_token)
    user_for_token(api_token.token)
    sign_out_everywhere(user.id)
    with pytest.raises(NotAuthenticated):
        user_for_token(session_token)
    assert user_for_token(api_token.token).id == user.id  # API tokens outlive sign-outs
    revoke_api_token(user.id, api_token.info.id)
    with pytest.raises(NotAuthenticated):
        user_for_token(api_token.token)


def test_a_new_name_shows_at_once() -> None:
    user = make_user("before")
    token = start_session(user.id).token
    user_for_token(token)
    update_profile(user.id, "After")
    assert user_for_token(token).name == "After"


def test_a_zero_lifetime_turns_the_cache_off(
    any_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOKEN_CACHE_SECONDS", "0")
    from credits_app.settings import get_settings

    get_settings.cache_clear()
    try:
        token = start_session(make_user("uncached").id).token
        user_for_token(token)
        assert queries(any_engine, lambda: user_for_token(token)) == 1
    finally:
        monkeypatch.delenv("TOKEN_CACHE_SECONDS")
        get_settings.cache_clear()
