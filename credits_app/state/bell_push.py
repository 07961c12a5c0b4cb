"""Push the bell to a user's open tabs when their inbox changes (issue 12, item 3).

The signal comes from `notifications/live.py` after the change commits, from wherever it
was made (an API request, the job worker, another instance). This module turns it into a
Reflex state push: for every tab of that user whose websocket this process holds,
`app.modify_state(BaseStateToken(tab, NotificationState))` re-reads the inbox under the
tab's state lock, and Reflex emits the changed vars (the unread count) over the socket.
No event from the browser is needed, so the count arrives in well under a second.

Which tabs a user has open is remembered when the bell loads (`remember_tab`):
- embedded default: in this process's memory (one process holds every socket);
- with REDIS_URL: in a Redis set per user (`uc:bell:tabs:<id>`, a day's expiry renewed on
  every load), because the tab may reconnect to another instance. Every instance hears
  the Redis signal and pushes only to the sockets it holds itself, so each tab is pushed
  once; a tab whose instance died reconnects elsewhere and is found there.
A tab that is gone is skipped; a tab that misses a push still reads on its next load/poll.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

import redis.asyncio as aioredis
import reflex as rx

from credits_app.notifications import live
from credits_app.settings import get_settings

logger = logging.getLogger(__name__)
TAB_MEMORY_SECONDS = 24 * 3600
RECONNECT_PAUSE_SECONDS = 1.0


class TabDirectory:
    """user id → client tokens of the tabs that showed that user's bell."""

    def __init__(self, redis_url: str | None) -> None:
        self._local: dict[int, dict[str, float]] = {}
        self._redis = aioredis.Redis.from_url(redis_url) if redis_url else None

    async def remember(self, user_id: int, token: str) -> None:
        """This tab shows `user_id`'s bell."""
        if self._redis is None:
            tabs = self._local.setdefault(user_id, {})
            tabs[token] = time.monotonic()
            self._forget_old(tabs)
            return
        key = _tabs_key(user_id)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.sadd(key, token)
            pipe.expire(key, TAB_MEMORY_SECONDS)
            await pipe.execute()

    async def tabs(self, user_id: int) -> list[str]:
        """The tokens remembered for the user (connected or not)."""
        if self._redis is None:
            return list(self._local.get(user_id, {}))
        members = await self._redis.smembers(_tabs_key(user_id))  # type: ignore[misc]
        return [m.decode() if isinstance(m, bytes) else str(m) for m in members]

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()

    @staticmethod
    def _forget_old(tabs: dict[str, float]) -> None:
        cutoff = time.monotonic() - TAB_MEMORY_SECONDS
        for token in [t for t, seen in tabs.items() if seen < cutoff]:
            del tabs[token]


_directory: TabDirectory | None = None


def _tabs_key(user_id: int) -> str:
    return f"uc:bell:tabs:{user_id}"


def _get_directory() -> TabDirectory:
    global _directory
    if _directory is None:
        _directory = TabDirectory(get_settings().redis_url)
    return _directory


async def remember_tab(user_id: int, token: str) -> None:
    """Called by the bell when it loads: push this tab when `user_id`'s inbox changes."""
    if not user_id or not token:
        return
    try:
        await _get_directory().remember(user_id, token)
    except Exception as error:  # Redis away: the tab keeps its slow poll
        logger.warning("Could not remember the tab for live notifications: %s", error)


@asynccontextmanager
async def live_bell(app: rx.App) -> AsyncIterator[None]:
    """App lifespan task: listen for inbox signals and push to the tabs this process holds."""
    loop = asyncio.get_running_loop()
    signals: asyncio.Queue[frozenset[int]] = asyncio.Queue()
    settings = get_settings()
    listener: asyncio.Task[None] | None = None
    unsubscribe = None
    if settings.redis_url:
        listener = asyncio.create_task(_listen_to_redis(settings.redis_url, signals))
    elif settings.live_signal_socket:
        listener = asyncio.create_task(_listen_to_socket(settings.live_signal_socket, signals))
    else:
        unsubscribe = live.subscribe(
            lambda user_ids: loop.call_soon_threadsafe(signals.put_nowait, user_ids)
        )
    pusher = asyncio.create_task(_push_forever(app, signals))
    try:
        yield
    finally:
        if unsubscribe is not None:
            unsubscribe()
        for task in (listener, pusher):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task


async def _listen_to_socket(path: str, signals: "asyncio.Queue[frozenset[int]]") -> None:
    """The API processes' signals (LIVE_SIGNAL_SOCKET), read as they arrive on the loop."""
    sock = live.bind_local(path)
    loop = asyncio.get_running_loop()

    def read_all() -> None:
        while True:
            try:
                message = sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                return
            signals.put_nowait(live.decode(message))

    loop.add_reader(sock.fileno(), read_all)
    try:
        await asyncio.Event().wait()  # until the lifespan cancels this task
    finally:
        loop.remove_reader(sock.fileno())
        sock.close()


async def _listen_to_redis(url: str, signals: "asyncio.Queue[frozenset[int]]") -> None:
    """Every instance subscribes; a dropped connection is re-opened after a pause."""
    while True:
        client = aioredis.Redis.from_url(url)
        try:
            async with client.pubsub() as pubsub:
                await pubsub.subscribe(live.CHANNEL)
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        signals.put_nowait(live.decode(message["data"]))
        except asyncio.CancelledError:
            raise
        except Exception as error:
            logger.warning("Live notifications lost Redis (%s); reconnecting", error)
            await asyncio.sleep(RECONNECT_PAUSE_SECONDS)
        finally:
            with contextlib.suppress(Exception):
                await client.aclose()


async def _push_forever(app: rx.App, signals: "asyncio.Queue[frozenset[int]]") -> None:
    while True:
        user_ids = await signals.get()
        try:
            await push_to_users(app, user_ids)
        except Exception:
            logger.exception("Live notification push failed")


async def push_to_users(app: rx.App, user_ids: Iterable[int]) -> int:
    """Re-read the bell of every tab of these users held by this process; how many."""
    directory = _get_directory()
    tokens = [token for user_id in user_ids for token in await directory.tabs(user_id)]
    local = [token for token in dict.fromkeys(tokens) if _socket_is_here(app, token)]
    await asyncio.gather(*(_push_tab(app, token) for token in local))
    return len(local)


def _socket_is_here(app: rx.App, token: str) -> bool:
    """The tab's websocket is held by this process (Reflex's token manager knows it; a
    record from another instance names that instance)."""
    namespace: Any = app.event_namespace
    if namespace is None:
        return False
    manager = namespace._token_manager
    record = manager.token_to_socket.get(token)
    return record is not None and record.instance_id == manager.instance_id


async def _push_tab(app: rx.App, token: str) -> None:
    # Imported here: the state imports this module to remember its tab.
    from credits_app.state.notification_state import NotificationState

    try:
        async with app.modify_state(rx.BaseStateToken(ident=token, cls=NotificationState)) as root:
            bell = await root.get_state(NotificationState)
            await bell._reload()
    except Exception:
        logger.exception("Could not push the bell to a tab")
