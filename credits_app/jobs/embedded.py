"""The worker inside the app process (the embedded default of `make run`).

`embedded_worker` is an async context manager for the app's lifespan (Reflex
`register_lifespan_task`): it starts the worker on a daemon thread when the app starts and
stops it when the app shuts down. With JOBS_WORKER_IN_APP=false it does nothing, for
deployments that run `python -m credits_app worker` separately.
"""

import asyncio
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from credits_app.jobs.catalog import default_registry
from credits_app.jobs.worker import Worker, WorkerOptions
from credits_app.settings import Settings, get_settings

logger = logging.getLogger(__name__)
SHUTDOWN_WAIT_SECONDS = 15.0


def worker_options(settings: Settings) -> WorkerOptions:
    """The worker's options from the environment (JOBS_*)."""
    return WorkerOptions(
        concurrency=settings.jobs_concurrency,
        lease=timedelta(seconds=settings.jobs_lease_seconds),
        poll_seconds=settings.jobs_poll_seconds,
    )


@asynccontextmanager
async def embedded_worker() -> AsyncIterator[None]:
    """Run the job worker alongside the app for as long as the app runs."""
    settings = get_settings()
    if not settings.jobs_worker_in_app:
        yield
        return
    worker = Worker(default_registry(), worker_options(settings))
    thread = threading.Thread(target=worker.run_forever, name="jobs-worker", daemon=True)
    thread.start()
    logger.info("Embedded job worker %s started", worker.id)
    try:
        yield
    finally:
        worker.stop()
        # Jobs still running finish (or their lease lets another worker redo them later).
        await asyncio.to_thread(thread.join, SHUTDOWN_WAIT_SECONDS)
