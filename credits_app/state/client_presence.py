"""Whether the browser tab behind a background event is still there, and work that stops if not.

Reflex keeps a background event running after its tab closes (its event processor cancels only
hydration and page-load chains on a disconnect). A streamed 2Bot reply must not: the HTTP API
cancels the upstream request when its client goes, and the widget has to do the same, or a
closed tab would pay for the whole reply nobody reads.

Reflex's own answer to "is this tab connected?" is the token manager's `is_token_connected`
(what its shared states use before pushing to another client): the local socket record, or with
`REDIS_URL` the record in Redis, so a tab connected to another instance still counts. The tab's
token is `router.session.client_token`, stable across reconnects and reloads of the tab.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable

from reflex_base.registry import RegistrationContext

logger = logging.getLogger(__name__)

CHECK_SECONDS = 0.2  # how often a running stream asks whether its tab is still there
GRACE_SECONDS = 0.5  # gone this long (not a blip between two checks): the work is stopped


async def client_connected(token: str) -> bool:
    """Whether the tab with this client token has a live websocket (on any instance)."""
    try:
        namespace = RegistrationContext.get().app.event_namespace
    except Exception:  # no app registered (a unit test driving the state): assume present
        return True
    if namespace is None or not token:
        return True
    manager = getattr(namespace, "_token_manager", None)
    if manager is None:  # an older token manager API: the local mapping
        return token in namespace.token_to_sid
    connected: bool = await manager.is_token_connected(token)
    return connected


async def run_while_connected(work: Awaitable[None], token: str) -> bool:
    """Run `work` until it ends (its errors propagate) or the tab has been gone for
    `GRACE_SECONDS`, then cancel it; True when it was stopped because the tab went away."""
    task = asyncio.ensure_future(work)
    gone_since: float | None = None
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=CHECK_SECONDS)
            if done:
                task.result()
                return False
            if await client_connected(token):
                gone_since = None
                continue
            now = time.monotonic()
            gone_since = gone_since or now
            if now - gone_since >= GRACE_SECONDS:
                logger.info("The tab of a streaming 2Bot reply went away: stopping the reply")
                await _cancel(task)
                return True
    finally:
        if not task.done():  # we were cancelled ourselves
            await _cancel(task)


async def _cancel(task: "asyncio.Future[None]") -> None:
    """Cancel and wait for the work's own clean-up (it closes the upstream request)."""
    task.cancel()
    await asyncio.wait({task})
    if not task.cancelled():
        task.exception()  # retrieved: a failure while stopping is not logged as unhandled
