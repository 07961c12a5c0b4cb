"""Every job kind and periodic job of the app, registered in one place.

The worker (embedded or `python -m credits_app worker`) runs `default_registry()`; a kind's
handler lives with the package that owns the work.
"""

from datetime import timedelta

from credits_app.jobs import maintenance
from credits_app.jobs.registry import Registry, RetryPolicy
from credits_app.settings import get_settings

RELEASE_EXPIRED_HOLDS = "holds.release_expired"
PRUNE_JOBS = "jobs.prune"


def default_registry() -> Registry:
    """The registry with all of the app's job kinds and periodic jobs."""
    registry = Registry()
    upkeep = RetryPolicy(max_attempts=3, base_seconds=10)
    registry.register(RELEASE_EXPIRED_HOLDS, maintenance.release_expired_holds_everywhere, upkeep)
    registry.register(PRUNE_JOBS, maintenance.prune_finished_jobs, upkeep)
    registry.every(
        RELEASE_EXPIRED_HOLDS,
        RELEASE_EXPIRED_HOLDS,
        lambda: timedelta(seconds=get_settings().expiry_sweep_seconds),
    )
    registry.every(PRUNE_JOBS, PRUNE_JOBS, lambda: timedelta(hours=1))
    return registry
