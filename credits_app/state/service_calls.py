"""Run a blocking service call off the event loop.

Services are plain synchronous Python over a DB session (and, for purchases, Stripe's HTTP
API). Reflex runs event handlers on the server's event loop, so a state awaits them in a
worker thread instead of stalling every other connected browser meanwhile.
"""

import asyncio
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


async def call_service(function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """`function(*args, **kwargs)` in a worker thread; exceptions propagate unchanged."""
    return await asyncio.to_thread(function, *args, **kwargs)
