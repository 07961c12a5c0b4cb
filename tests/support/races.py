"""Real concurrency for tests: run calls on many threads started together by a barrier."""

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from datetime import datetime
from typing import Any

from credits_app.clock import frozen_at
from credits_app.credits.errors import CreditsError

THREADS = 16
Call = Callable[[], Any] | tuple[datetime | None, Callable[[], Any]]


def race(
    calls: list[Call], *, expected: type[Exception] = CreditsError, threads: int = THREADS
) -> list[Any]:
    """Run every call on `threads` threads, started together; collect results, or the
    `expected` errors they raised. A call may be `(moment, call)`: run at that frozen moment
    (per thread, so racing threads can stand on either side of an expiry)."""
    barrier = threading.Barrier(threads)

    def run(chunk: list[Call]) -> list[Any]:
        barrier.wait()
        outcomes: list[Any] = []
        for item in chunk:
            moment, call = item if isinstance(item, tuple) else (None, item)
            with frozen_at(moment) if moment else nullcontext():
                try:
                    outcomes.append(call())
                except expected as error:
                    outcomes.append(error)
        return outcomes

    chunks = [calls[i::threads] for i in range(threads)]
    with ThreadPoolExecutor(threads) as pool:
        return [outcome for outcomes in pool.map(run, chunks) for outcome in outcomes]
