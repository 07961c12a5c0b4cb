"""Tell connected browsers that a user's inbox changed, once the change is committed.

`publish` writes notifications inside the transaction of the balance move that caused them;
`announce(db, user_ids)` remembers the users on that session and, only when the session
commits, signals them (a rollback tells nobody). Who listens depends on the deployment:

- embedded default (no REDIS_URL, one process): subscribers in this process
  (`subscribe`), called on the committing thread — the Reflex side hands the ids to its
  event loop and pushes the new unread count to that user's open tabs;
- with REDIS_URL: one Redis PUBLISH on `CHANNEL`; every app instance subscribes and pushes
  to the tabs whose websocket it holds. A standalone job worker publishes the same way;
- embedded default with the API in its own processes (LIVE_SIGNAL_SOCKET, deploy/embedded.py):
  one datagram on that Unix socket, which the page process binds (`bind_local`).

A lost signal costs only freshness: the bell still re-reads on load and on its slow poll.
So a failure to publish is logged, never raised into the request that committed money.
"""

import contextlib
import json
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterable

import redis
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession

from credits_app.settings import get_settings

logger = logging.getLogger(__name__)
CHANNEL = "uc:notifications:changed"
_PENDING_KEY = "uc_inbox_changed_users"
PUBLISH_TIMEOUT_SECONDS = 1.0

Subscriber = Callable[[frozenset[int]], None]
_subscribers: list[Subscriber] = []
_lock = threading.Lock()
_redis_clients: dict[str, "redis.Redis"] = {}


def announce(db: OrmSession, user_ids: Iterable[int]) -> None:
    """Signal `user_ids` after `db` commits (nothing if it rolls back)."""
    pending: set[int] = db.info.setdefault(_PENDING_KEY, set())
    pending.update(int(user_id) for user_id in user_ids)


def subscribe(subscriber: Subscriber) -> Callable[[], None]:
    """Call `subscriber(user_ids)` for every committed change in this process (embedded
    mode); returns the function that unsubscribes it."""
    with _lock:
        _subscribers.append(subscriber)

    def unsubscribe() -> None:
        with _lock:
            if subscriber in _subscribers:
                _subscribers.remove(subscriber)

    return unsubscribe


def signal(user_ids: frozenset[int]) -> None:
    """Deliver one signal now: Redis when configured (every instance hears it), else the
    subscribers of this process. Never raises."""
    if not user_ids:
        return
    settings = get_settings()
    if settings.redis_url:
        try:
            _redis(settings.redis_url).publish(CHANNEL, encode(user_ids))
        except redis.RedisError as error:
            logger.warning("Could not publish the inbox signal: %s", error)
        return
    if settings.live_signal_socket:
        _send_local(settings.live_signal_socket, user_ids)
        return
    with _lock:
        subscribers = list(_subscribers)
    for subscriber in subscribers:
        try:
            subscriber(user_ids)
        except Exception:  # one broken listener must not break the committing request
            logger.exception("Inbox subscriber failed")


def bind_local(path: str) -> socket.socket:
    """The page process's end of LIVE_SIGNAL_SOCKET: a non-blocking datagram socket bound at
    `path` (a socket file left by a killed process is replaced)."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.setblocking(False)
    return sock


def _send_local(path: str, user_ids: frozenset[int]) -> None:
    """One datagram to the page process; nobody listening (not started yet) loses only
    freshness, as a lost Redis message would."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.setblocking(False)
            sock.sendto(encode(user_ids).encode(), path)
    except OSError as error:
        logger.warning("Could not send the inbox signal to %s: %s", path, error)


def encode(user_ids: Iterable[int]) -> str:
    """The message on `CHANNEL`: `{"userIds": [..]}`."""
    return json.dumps({"userIds": sorted(set(user_ids))})


def decode(message: str | bytes) -> frozenset[int]:
    """The user ids of a `CHANNEL` message (a malformed one names nobody)."""
    try:
        ids = json.loads(message)["userIds"]
        return frozenset(int(user_id) for user_id in ids)
    except (ValueError, KeyError, TypeError):
        return frozenset()


def _redis(url: str) -> "redis.Redis":
    with _lock:
        client = _redis_clients.get(url)
        if client is None:
            client = _redis_clients[url] = redis.Redis.from_url(
                url,
                socket_timeout=PUBLISH_TIMEOUT_SECONDS,
                socket_connect_timeout=PUBLISH_TIMEOUT_SECONDS,
            )
        return client


@event.listens_for(OrmSession, "after_commit")
def _signal_after_commit(db: OrmSession) -> None:
    users = db.info.pop(_PENDING_KEY, None)
    if users:
        signal(frozenset(users))


@event.listens_for(OrmSession, "after_soft_rollback")
def _forget_after_rollback(db: OrmSession, previous_transaction: object) -> None:
    if not db.in_transaction():
        db.info.pop(_PENDING_KEY, None)
