"""A per-user cap on AI requests in flight, so one user cannot tie up the provider for all.

With async provider calls a slow provider no longer holds threads, but each request in flight
still holds a credit reservation and a provider connection. Above `AI_MAX_CONCURRENT_PER_USER`
a new request is refused at once with `too_many_ai_requests` (429 and a `Retry-After`), before
anything is held or sent.

Where the count lives:

- With `REDIS_URL` the count is the cluster's: one Redis sorted set per user whose members are
  the slots in use, each scored with its lease's end. Taking a slot is one Lua script (drop
  the ended leases, count, add), so two instances never both take the last slot; a running
  request renews its lease every third of `AI_SLOT_LEASE_SECONDS`, and a process that dies
  (kill -9, OOM) stops renewing, so its slots free themselves within one lease instead of
  leaking forever. Redis unreachable: the cap falls back to this process's count (logged);
  the cap is about fairness, the money rules do not depend on it (the holds do).
- Without Redis, the count is this process's (the embedded app runs one backend process).
"""

import asyncio
import logging
import threading
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from credits_app.credits.errors import CreditsError
from credits_app.settings import get_settings

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 2

# Time is Redis's own clock, so instances with skewed clocks agree on when a lease ends.
_NOW_MS = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""
# KEYS[1] the user's slot set; ARGV: lease (ms), limit, slot id.
_TAKE_SLOT = (
    _NOW_MS
    + """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], 2 * tonumber(ARGV[1]))
return 1
"""
)
# Renew only a slot still held (an ended lease that was already dropped is not revived).
_RENEW_SLOT = (
    _NOW_MS
    + """
if redis.call('ZSCORE', KEYS[1], ARGV[2]) == false then return 0 end
redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[1]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], 2 * tonumber(ARGV[1]))
return 1
"""
)
# The live slots (lease not ended) of KEYS[1].
_COUNT_SLOTS = (
    _NOW_MS
    + """
return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')
"""
)


class TooManyAiRequests(CreditsError):
    """The user already has the most AI requests in flight that one user may have."""

    code = "too_many_ai_requests"

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"You already have {limit} 2Bot requests in progress. Wait for one to finish.",
            limit=limit,
            retryAfterSeconds=RETRY_AFTER_SECONDS,
        )
        self.retry_after_seconds = RETRY_AFTER_SECONDS


_lock = threading.Lock()
_in_flight: Counter[int] = Counter()
# One client per event loop: redis.asyncio connections belong to the loop that opened them.
# Keyed by id (some loop implementations cannot be weakly referenced); closed loops are dropped.
_clients: dict[int, tuple[asyncio.AbstractEventLoop, str, aioredis.Redis]] = {}


@asynccontextmanager
async def ai_request_slot(user_id: int) -> AsyncIterator[None]:
    """Hold one of the user's slots for the block; `TooManyAiRequests` when none is free."""
    settings = get_settings()
    if settings.redis_url is not None:
        client = _client(settings.redis_url)
        slot = await _take_cluster_slot(client, user_id, settings.ai_max_concurrent_per_user)
        if slot is not None:
            async with _renewing(client, user_id, slot):
                yield
            return
    async with _process_slot(user_id, settings.ai_max_concurrent_per_user):
        yield


def slot_key(user_id: int) -> str:
    """The Redis key of the user's slot set (the prefix is `AI_SLOTS_KEY_PREFIX`)."""
    return f"{get_settings().ai_slots_key_prefix}{user_id}"


async def cluster_in_flight(user_id: int) -> int:
    """The user's live slots across the cluster (Redis), for tests and diagnostics."""
    url = get_settings().redis_url
    if url is None:
        return in_flight(user_id)
    counted = await _client(url).eval(_COUNT_SLOTS, 1, slot_key(user_id))  # type: ignore[misc]
    return int(counted)


def in_flight(user_id: int) -> int:
    """How many AI requests the user has in flight in this process (tests, diagnostics)."""
    with _lock:
        return _in_flight[user_id]


async def _take_cluster_slot(client: aioredis.Redis, user_id: int, limit: int) -> str | None:
    """A new slot's id, `TooManyAiRequests` when all are taken, None when Redis is away."""
    slot = uuid.uuid4().hex
    try:
        taken = await client.eval(  # type: ignore[misc]
            _TAKE_SLOT, 1, slot_key(user_id), _lease_ms(), limit, slot
        )
    except (RedisError, OSError):
        logger.warning("Redis unreachable: the AI request cap counts this process only")
        return None
    if not int(taken):
        raise TooManyAiRequests(limit)
    return slot


@asynccontextmanager
async def _renewing(client: aioredis.Redis, user_id: int, slot: str) -> AsyncIterator[None]:
    """Keep the slot's lease alive while the block runs, then give the slot back."""
    key = slot_key(user_id)
    renewer = asyncio.create_task(_renew_forever(client, key, slot))
    try:
        yield
    finally:
        renewer.cancel()
        with suppress(asyncio.CancelledError):
            await renewer
        try:
            await asyncio.shield(client.zrem(key, slot))
        except (RedisError, OSError, asyncio.CancelledError):
            logger.warning("Could not free an AI slot in Redis; its lease ends it")


async def _renew_forever(client: aioredis.Redis, key: str, slot: str) -> None:
    lease_ms = _lease_ms()
    while True:
        await asyncio.sleep(lease_ms / 3000)
        try:
            await client.eval(_RENEW_SLOT, 1, key, lease_ms, slot)  # type: ignore[misc]
        except (RedisError, OSError):
            logger.warning("Could not renew an AI slot's lease in Redis")


@asynccontextmanager
async def _process_slot(user_id: int, limit: int) -> AsyncIterator[None]:
    with _lock:
        if _in_flight[user_id] >= limit:
            raise TooManyAiRequests(limit)
        _in_flight[user_id] += 1
    try:
        yield
    finally:
        with _lock:
            _in_flight[user_id] -= 1
            if _in_flight[user_id] <= 0:
                del _in_flight[user_id]


def _client(url: str) -> aioredis.Redis:
    loop = asyncio.get_running_loop()
    cached = _clients.get(id(loop))
    if cached is not None and cached[0] is loop and cached[1] == url:
        return cached[2]
    with _lock:
        for key, (other, _, _) in list(_clients.items()):
            if other.is_closed():
                del _clients[key]
        client = aioredis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
        _clients[id(loop)] = (loop, url, client)
    return client


def _lease_ms() -> int:
    return max(int(get_settings().ai_slot_lease_seconds * 1000), 300)
