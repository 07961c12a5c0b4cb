"""Socket records of dead workers (cluster_sessions) against a real Redis: a token whose worker
was killed is released for its reconnect; a live worker's token still makes a duplicate tab
get a new one; this worker's own leftovers are released; a newer record is never deleted."""

import asyncio
import pickle
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis
from reflex.utils.token_manager import SocketRecord

from credits_app import cluster_sessions
from credits_app.cluster_sessions import STALE_AFTER_SECONDS, LivenessTokenManager
from tests.support.private_servers import PrivateRedis, private_redis


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateRedis]:
    with private_redis(Path(tmp_path_factory.mktemp("redis"))) as server:
        yield server


def manager(server: PrivateRedis) -> LivenessTokenManager:
    return LivenessTokenManager(Redis.from_url(server.url))


def kill_9(worker: LivenessTokenManager) -> None:
    """What kill -9 does to a worker: it stops beating and deletes nothing."""
    assert worker._heartbeat_task is not None
    worker._heartbeat_task.cancel()


def run(coroutine: object) -> object:
    return asyncio.run(coroutine)  # type: ignore[arg-type]


def test_a_reconnect_after_its_worker_was_killed_keeps_its_token(
    redis_server: PrivateRedis,
) -> None:
    async def scenario() -> tuple[str | None, SocketRecord, float]:
        dead, survivor = manager(redis_server), manager(redis_server)
        assert await dead.link_token_to_sid("tab-token", "sid-on-dead") is None
        kill_9(dead)
        started = asyncio.get_running_loop().time()
        new_token = await survivor.link_token_to_sid("tab-token", "sid-on-survivor")
        waited = asyncio.get_running_loop().time() - started
        raw = await survivor.redis.get(survivor._get_redis_key("tab-token"))
        await survivor.close()
        return new_token, pickle.loads(raw), waited

    new_token, record, waited = run(scenario())  # type: ignore[misc]
    assert new_token is None  # the same token: its state in Redis carries on
    assert record.sid == "sid-on-survivor"
    assert waited <= STALE_AFTER_SECONDS + 1


def test_a_duplicate_tab_of_a_live_worker_still_gets_a_new_token(
    redis_server: PrivateRedis,
) -> None:
    async def scenario() -> tuple[str | None, SocketRecord]:
        first, second = manager(redis_server), manager(redis_server)
        await first.link_token_to_sid("shared-token", "sid-first")
        new_token = await second.link_token_to_sid("shared-token", "sid-second")
        raw = await first.redis.get(first._get_redis_key("shared-token"))
        await first.close()
        await second.close()
        return new_token, pickle.loads(raw)

    new_token, record = run(scenario())  # type: ignore[misc]
    assert new_token is not None and new_token != "shared-token"
    assert record.sid == "sid-first"  # the original tab keeps its token


def test_this_workers_own_leftover_record_is_released(redis_server: PrivateRedis) -> None:
    async def scenario() -> str | None:
        worker = manager(redis_server)
        leftover = SocketRecord(instance_id=worker.instance_id, sid="sid-long-gone")
        await worker.redis.set(worker._get_redis_key("old-token"), pickle.dumps(leftover))
        new_token = await worker.link_token_to_sid("old-token", "sid-new")
        await worker.close()
        return new_token

    assert run(scenario()) is None


def test_a_record_replaced_meanwhile_is_not_deleted(redis_server: PrivateRedis) -> None:
    async def scenario() -> SocketRecord:
        checker = manager(redis_server)
        key = checker._get_redis_key("raced-token")
        stale = pickle.dumps(SocketRecord(instance_id="dead-worker", sid="sid-dead"))
        newer = SocketRecord(instance_id="another-worker", sid="sid-newer")
        await checker.redis.set(key, stale)

        async def relink_meanwhile(instance_id: str) -> bool:
            await checker.redis.set(key, pickle.dumps(newer))  # linked while we checked
            return False

        checker.owner_alive = relink_meanwhile  # type: ignore[method-assign]
        assert await checker.release_if_orphaned("raced-token") is False
        record: SocketRecord = pickle.loads(await checker.redis.get(key))
        await checker.close()
        return record

    assert run(scenario()) == SocketRecord(instance_id="another-worker", sid="sid-newer")


def test_install_makes_reflex_build_the_liveness_manager_when_redis_is_used(
    redis_server: PrivateRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reflex.utils import prerequisites
    from reflex.utils.token_manager import TokenManager

    cluster_sessions.install()
    monkeypatch.setattr(prerequisites, "check_redis_used", lambda: True)
    monkeypatch.setattr(prerequisites, "get_redis", lambda: Redis.from_url(redis_server.url))
    assert isinstance(TokenManager.create(), LivenessTokenManager)
    monkeypatch.setattr(prerequisites, "check_redis_used", lambda: False)
    assert not isinstance(TokenManager.create(), LivenessTokenManager)
