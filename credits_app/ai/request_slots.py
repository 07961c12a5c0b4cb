"""A per-user cap on AI requests in flight, so one user cannot tie up the provider for all.

With async provider calls a slow provider no longer holds threads, but each request in flight
still holds a credit reservation and a provider connection. Above `AI_MAX_CONCURRENT_PER_USER`
(per app process) a new request is refused at once with `too_many_ai_requests` (429 and a
`Retry-After`), before anything is held or sent.

The count lives in this process: the embedded app runs one backend process; with several
instances the cap applies per instance (the money rules do not depend on it, the holds do).
"""

import threading
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from credits_app.credits.errors import CreditsError
from credits_app.settings import get_settings

RETRY_AFTER_SECONDS = 2


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


@asynccontextmanager
async def ai_request_slot(user_id: int) -> AsyncIterator[None]:
    """Hold one of the user's slots for the block; `TooManyAiRequests` when none is free."""
    limit = get_settings().ai_max_concurrent_per_user
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


def in_flight(user_id: int) -> int:
    """How many AI requests the user has in flight in this process (tests, diagnostics)."""
    with _lock:
        return _in_flight[user_id]
