"""Which function runs a job kind, with which retry policy; and the periodic schedule.

Handlers are registered by the packages that own the work (notifications, credits maintenance)
through `jobs.catalog`, so the worker knows every kind before it claims anything.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any


@dataclass(frozen=True)
class RetryPolicy:
    """How often a failing job is retried: `base * 2**(attempt-1)` seconds, capped."""

    max_attempts: int = 8
    base_seconds: float = 5.0
    cap_seconds: float = 3600.0

    def delay(self, attempt: int) -> timedelta:
        """The wait after failed attempt number `attempt` (1-based): exponential, capped."""
        exponent = min(max(attempt - 1, 0), 30)
        return timedelta(seconds=min(self.base_seconds * 2**exponent, self.cap_seconds))


@dataclass(frozen=True)
class JobContext:
    """What a handler gets: the job's payload and which attempt this is."""

    id: int
    kind: str
    payload: dict[str, Any]
    attempt: int
    max_attempts: int


JobHandler = Callable[[JobContext], object]  # the return value is ignored


class RetryLater(Exception):
    """Raised by a handler that knows when it wants to run again (e.g. a webhook's backoff)."""

    def __init__(self, delay: timedelta, reason: str) -> None:
        super().__init__(reason)
        self.delay = delay


@dataclass(frozen=True)
class Registration:
    """A job kind's handler and retry policy."""

    handler: JobHandler
    policy: RetryPolicy


@dataclass(frozen=True)
class Periodic:
    """A job kind enqueued every `every` by exactly one worker (see `periodic.py`)."""

    name: str
    kind: str
    every: Callable[[], timedelta]


@dataclass
class Registry:
    """Job kinds and periodic jobs known to this process."""

    kinds: dict[str, Registration] = field(default_factory=dict)
    periodic: dict[str, Periodic] = field(default_factory=dict)

    def register(self, kind: str, handler: JobHandler, policy: RetryPolicy | None = None) -> None:
        """Make `kind` runnable; registering a kind twice replaces its handler (tests)."""
        self.kinds[kind] = Registration(handler, policy or RetryPolicy())

    def every(self, name: str, kind: str, every: Callable[[], timedelta]) -> None:
        """Run `kind` every `every()` (read at each scheduling, so settings changes apply)."""
        self.periodic[name] = Periodic(name, kind, every)

    def policy_of(self, kind: str) -> RetryPolicy:
        """The kind's retry policy (the default for kinds this process does not know)."""
        registration = self.kinds.get(kind)
        return registration.policy if registration else RetryPolicy()
