"""Browser sessions that survive a `kill -9` of their instance (issue 11, cluster).

Reflex 0.10's `RedisTokenManager` records in Redis which worker process holds the websocket
of each client token (`token_manager_socket_record_<token>`, expiring after
`redis_token_expiration`, an hour). A worker that stops gracefully deletes its records; one
killed with `kill -9` cannot, so when its browsers reconnect through HAProxy to another
instance, `link_token_to_sid` finds the token "connected" and, taking the reconnect for a
duplicated tab, hands out a new token: the page keeps working but its UI state (kept in Redis
under the old token) is gone. Upstream this is still open (reflex-dev/reflex#6252, #6345).

The fix here tells a dead owner from a live one before Reflex decides:
- every worker process that holds sockets writes a liveness key for its token manager's
  `instance_id` every `BEAT_SECONDS`, expiring after `STALE_AFTER_SECONDS`;
- on a connect whose token has a record held by another worker, the record is released
  (compare-and-delete, so a newer record is never removed) when that worker's liveness key is
  gone or stops changing for `STALE_AFTER_SECONDS`; a live owner's key changes within one
  beat, so a real duplicate tab waits at most one beat and still gets a new token;
- a record naming this worker but no socket it holds is this worker's own leftover, released
  the same way.
Then Reflex links the token as usual: the reconnecting browser keeps its token and its state.

Installed by `install()` (called by the app module before `rx.App` is built), which makes
`TokenManager.create` build this subclass when Redis is used; without Redis nothing changes.
"""

import asyncio
import contextlib
import logging
import pickle
import time
from typing import Any

from reflex.utils import prerequisites
from reflex.utils.token_manager import RedisTokenManager, SocketRecord, TokenManager

log = logging.getLogger(__name__)

BEAT_SECONDS = 0.5
STALE_AFTER_SECONDS = 2.5  # five missed beats: dead (an event loop blocked that long is sick)
POLL_SECONDS = 0.1
LIVENESS_PREFIX = "uc_reflex_worker_alive_"
# Delete the record only if it is still the stale one we read (another worker may have linked
# the token meanwhile): GET and DEL in one atomic step.
_COMPARE_AND_DELETE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""


class LivenessTokenManager(RedisTokenManager):
    """Reflex's Redis token manager, plus releasing socket records of dead workers."""

    def __init__(self, redis: Any) -> None:
        super().__init__(redis)
        self._heartbeat_task: asyncio.Task[None] | None = None

    def _reset_instance_id(self) -> None:
        super()._reset_instance_id()
        self._heartbeat_task = None  # a forked worker beats for its own new id

    @staticmethod
    def liveness_key(instance_id: str) -> str:
        return f"{LIVENESS_PREFIX}{instance_id}"

    async def link_token_to_sid(self, token: str, sid: str) -> str | None:
        """Release the token's record when its owner is dead, then link as Reflex does."""
        local = self.token_to_socket.get(token)
        if local is not None and local.sid == sid:
            return None  # the same socket again: Reflex's fast path
        try:
            await self._beat()  # alive before this worker's first record can exist
            self._ensure_heartbeat()
            await self.release_if_orphaned(token)
        except Exception:  # Redis trouble: fall back to Reflex's own behaviour
            log.warning("socket record liveness check failed", exc_info=True)
        return await super().link_token_to_sid(token, sid)

    async def release_if_orphaned(self, token: str) -> bool:
        """Delete the token's socket record if no live worker holds that socket; True if so."""
        key = self._get_redis_key(token)
        raw = await self.redis.get(key)
        if not raw:
            return False
        record: SocketRecord = pickle.loads(raw)
        if record.instance_id == self.instance_id:
            orphaned = self.sid_to_token.get(record.sid) != token
        else:
            orphaned = not await self.owner_alive(record.instance_id)
        if not orphaned:
            return False
        released = bool(await self.redis.eval(_COMPARE_AND_DELETE, 1, key, raw))  # type: ignore[misc]
        cached = self.token_to_socket.get(token)
        if released and cached is not None and cached.sid == record.sid:
            self.token_to_socket.pop(token, None)
            if self.sid_to_token.get(record.sid) == token:
                self.sid_to_token.pop(record.sid, None)
        if released:
            log.info(
                "released the socket record of a dead worker",
                extra={"dead_instance": record.instance_id},
            )
        return released

    async def owner_alive(self, instance_id: str) -> bool:
        """Whether the worker `instance_id` still beats: its key exists and changes."""
        key = self.liveness_key(instance_id)
        first = await self.redis.get(key)
        if first is None:
            return False
        deadline = time.monotonic() + STALE_AFTER_SECONDS
        while time.monotonic() < deadline:
            await asyncio.sleep(POLL_SECONDS)
            current = await self.redis.get(key)
            if current is None:
                return False
            if current != first:
                return True
        return False

    async def _beat(self) -> None:
        await self.redis.set(
            self.liveness_key(self.instance_id),
            f"{time.time():.6f}",
            px=int(STALE_AFTER_SECONDS * 1000),
        )

    def _ensure_heartbeat(self) -> None:
        if self._heartbeat_task is None or self._heartbeat_task.done():
            self._heartbeat_task = asyncio.get_running_loop().create_task(self._heartbeat())

    async def _heartbeat(self) -> None:
        """Beat forever; a Redis outage is waited out (unlike a task that gives up)."""
        while True:
            try:
                await self._beat()
            except Exception:
                log.debug("liveness beat failed", exc_info=True)
            await asyncio.sleep(BEAT_SECONDS)

    async def close(self) -> None:
        """Stop beating and drop the liveness key (a graceful stop), then Reflex's close."""
        task, self._heartbeat_task = self._heartbeat_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        with contextlib.suppress(Exception):
            await self.redis.delete(self.liveness_key(self.instance_id))
        await super().close()


def _create_token_manager() -> TokenManager:
    """`TokenManager.create`, with the liveness-aware manager when Redis is used."""
    if prerequisites.check_redis_used():
        redis_client = prerequisites.get_redis()
        if redis_client is not None:
            return LivenessTokenManager(redis_client)
    return _original_create()


_original_create = TokenManager.create


def install() -> None:
    """Make Reflex build `LivenessTokenManager` (idempotent; before `rx.App` is built)."""
    TokenManager.create = staticmethod(_create_token_manager)  # type: ignore[method-assign]
