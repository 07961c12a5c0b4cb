"""The per-user AI request cap counted across processes in the real Redis (REDIS_URL).

Another process (a real Python process, as another app instance would be) takes the user's
slots; this one is then refused; when that process is killed with SIGKILL its slots are not
leaked: they free themselves once their lease ends. Each test uses its own key prefix.
The Redis is the one at TEST_REDIS_URL (default 127.0.0.1:6379) or, when none answers there,
a private `redis-server` started for this module.
"""

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

import pytest

from credits_app.ai import request_slots
from credits_app.ai.request_slots import TooManyAiRequests, ai_request_slot, cluster_in_flight
from credits_app.settings import get_settings
from tests.support.redis_server import delete_prefixed, redis_for_tests

LEASE_SECONDS = 0.6
LIMIT = 2
USER_ID = 424242

HOLDER = """
import asyncio, sys
from contextlib import AsyncExitStack
from credits_app.ai.request_slots import ai_request_slot

async def main():
    async with AsyncExitStack() as stack:
        for _ in range(int(sys.argv[1])):
            await stack.enter_async_context(ai_request_slot(int(sys.argv[2])))
        print("held", flush=True)
        await asyncio.sleep(3600)

asyncio.run(main())
"""


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_for_tests(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture
def cluster_env(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """REDIS_URL, a short lease, a cap of LIMIT and a key prefix of this test only."""
    prefix = f"test:{uuid.uuid4().hex}:ai-slots:"
    env = {
        "REDIS_URL": redis_url,
        "AI_SLOTS_KEY_PREFIX": prefix,
        "AI_SLOT_LEASE_SECONDS": str(LEASE_SECONDS),
        "AI_MAX_CONCURRENT_PER_USER": str(LIMIT),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield env
    get_settings.cache_clear()
    delete_prefixed(redis_url, prefix)


def start_holder(env: dict[str, str], slots: int) -> subprocess.Popen[str]:
    """Another process holding `slots` of USER_ID's slots until it is killed."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(slots), str(USER_ID)],
        env=os.environ | env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "held"
    return holder


async def try_slot() -> bool:
    try:
        async with ai_request_slot(USER_ID):
            return True
    except TooManyAiRequests:
        return False


def test_slots_taken_by_another_process_count_here(cluster_env: dict[str, str]) -> None:
    holder = start_holder(cluster_env, 1)
    try:

        async def here() -> None:
            assert await cluster_in_flight(USER_ID) == 1
            async with ai_request_slot(USER_ID):  # the second of two
                assert await cluster_in_flight(USER_ID) == 2
                assert request_slots.in_flight(USER_ID) == 0, "not counted per process"
                with pytest.raises(TooManyAiRequests):
                    async with ai_request_slot(USER_ID):
                        pass
            assert await cluster_in_flight(USER_ID) == 1, "given back at once on the way out"

        asyncio.run(here())
    finally:
        holder.kill()
        holder.wait()


def test_a_killed_process_does_not_leak_its_slots(cluster_env: dict[str, str]) -> None:
    holder = start_holder(cluster_env, LIMIT)
    time.sleep(LEASE_SECONDS * 2)  # the live holder keeps renewing past its first lease
    assert not asyncio.run(try_slot()), "the other process still holds every slot"
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    killed_at = time.monotonic()
    assert not asyncio.run(try_slot()), "a lease outlives its process for a moment"
    while not asyncio.run(try_slot()):
        assert time.monotonic() - killed_at < LEASE_SECONDS * 3 + 2, "the slots leaked"
        time.sleep(0.05)
    assert asyncio.run(cluster_in_flight(USER_ID)) == 0


def test_a_long_request_keeps_its_slot_past_the_lease(cluster_env: dict[str, str]) -> None:
    async def long_request() -> None:
        async with ai_request_slot(USER_ID):
            await asyncio.sleep(LEASE_SECONDS * 3)
            assert await cluster_in_flight(USER_ID) == 1, "renewed while it runs"
        assert await cluster_in_flight(USER_ID) == 0

    asyncio.run(long_request())


def test_without_redis_reachable_the_cap_counts_this_process(
    cluster_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens there
    get_settings.cache_clear()

    async def here() -> None:
        async with ai_request_slot(USER_ID), ai_request_slot(USER_ID):
            assert request_slots.in_flight(USER_ID) == 2
            with pytest.raises(TooManyAiRequests):
                async with ai_request_slot(USER_ID):
                    pass
        assert request_slots.in_flight(USER_ID) == 0

    asyncio.run(here())
