"""The per-user AI cap over HTTP across two app instances sharing one Redis (REDIS_URL).

Two backend processes on the same database and Redis, a cap of one AI request per user, and a
provider that takes a few seconds: while a chat is in flight on instance A, the same user's
chat on instance B is refused with 429 `too_many_ai_requests` (nothing held, nothing sent);
another user is not affected; once A's chat ends, B serves the user again.
"""

import threading
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import Engine

from credits_app.db import use_engine
from tests.integration.conftest import AI_TEST_MODEL
from tests.support.api_client import SERVICE_KEY, ApiClient, assert_error, fund_user, no_cookie_jar
from tests.support.app_server import RunningApp, running_app
from tests.support.fake_openai import FAKE_API_KEY, FakeOpenAIServer
from tests.support.redis_server import delete_prefixed, redis_for_tests

CHAT = "/api/2bot-ai/chat"
MESSAGES = [{"role": "user", "content": "Take your time."}]
PROVIDER_SECONDS = 8.0  # long enough for B to be asked while A waits, on a loaded machine


@pytest.fixture(scope="module")
def two_instances(
    api_database_url: str, fake_openai: FakeOpenAIServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[RunningApp, RunningApp]]:
    prefix = f"test:{uuid.uuid4().hex}:ai-slots:"
    with redis_for_tests(tmp_path_factory.mktemp("redis")) as redis_url:
        env = {
            "SERVICE_API_KEY": SERVICE_KEY,
            "REDIS_URL": redis_url,
            "AI_SLOTS_KEY_PREFIX": prefix,
            "AI_MAX_CONCURRENT_PER_USER": "1",
            "AI_BASE_URL": fake_openai.base_url,
            "AI_API_KEY": FAKE_API_KEY,
            "AI_MODEL": AI_TEST_MODEL,
            "AI_TIMEOUT_SECONDS": "30",
            "BACKEND_WORKERS": "1",
        }
        logs_a, logs_b = tmp_path_factory.mktemp("ai-a"), tmp_path_factory.mktemp("ai-b")
        with (
            running_app(api_database_url, logs_a, backend_only=True, env=env) as a,
            running_app(api_database_url, logs_b, backend_only=True, env=env) as b,
        ):
            yield a, b
        delete_prefixed(redis_url, prefix)


def test_a_chat_in_flight_on_one_instance_fills_the_users_cap_on_the_other(
    two_instances: tuple[RunningApp, RunningApp],
    api_database_engine: Engine,
    fake_openai: FakeOpenAIServer,
) -> None:
    use_engine(api_database_engine)
    a, b = two_instances
    fake_openai.reset()
    with (
        httpx.Client(base_url=a.base_url, timeout=60, cookies=no_cookie_jar()) as http_a,
        httpx.Client(base_url=b.base_url, timeout=60, cookies=no_cookie_jar()) as http_b,
    ):
        api_a, api_b = ApiClient(http_a), ApiClient(http_b)
        user, other = api_a.register("busy"), api_a.register("neighbour")
        fund_user(user, "5")
        fund_user(other, "5")
        fake_openai.delay(PROVIDER_SECONDS)
        slow: dict[str, httpx.Response] = {}
        in_flight = threading.Thread(
            target=lambda: slow.update(
                answer=http_a.post(CHAT, json={"messages": MESSAGES}, headers=user.headers)
            )
        )
        try:
            in_flight.start()
            started = time.monotonic()
            while not fake_openai.requests:  # until A has admitted the chat and asked
                assert time.monotonic() - started < 30, "instance A never asked the provider"
                time.sleep(0.05)
            balance_before = api_b.balance(user)
            refused = http_b.post(CHAT, json={"messages": MESSAGES}, headers=user.headers)
            assert_error(refused, 429, "too_many_ai_requests")
            assert int(refused.headers["Retry-After"]) > 0
            assert api_b.balance(user) == balance_before, "nothing held or charged"
            assert len(fake_openai.requests) == 1, "the refused chat never reached the provider"
            fake_openai.reset()  # the neighbour answers at once
            neighbour = http_b.post(CHAT, json={"messages": MESSAGES}, headers=other.headers)
            assert neighbour.status_code == 200, neighbour.text
        finally:
            in_flight.join(timeout=60)
            fake_openai.reset()
        assert slow["answer"].status_code == 200, slow["answer"].text
        again = http_b.post(CHAT, json={"messages": MESSAGES}, headers=user.headers)
        assert again.status_code == 200, again.text
