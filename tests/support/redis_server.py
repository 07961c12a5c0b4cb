"""A Redis for tests: the one at TEST_REDIS_URL (default 127.0.0.1:6379) when it answers,
else a private `redis-server` for the block. Tests isolate themselves by key prefix."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis

from tests.support.private_servers import private_redis

SHARED_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@contextmanager
def redis_for_tests(directory: Path) -> Iterator[str]:
    """The URL of a Redis to use until the block ends."""
    if redis_answers(SHARED_REDIS_URL):
        yield SHARED_REDIS_URL
        return
    with private_redis(directory) as server:
        yield server.url


def delete_prefixed(url: str, prefix: str) -> None:
    """Remove a test's keys."""
    client = redis.Redis.from_url(url)
    for key in client.scan_iter(match=f"{prefix}*"):
        client.delete(key)
