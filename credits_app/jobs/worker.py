"""The worker: claim due jobs, run them on a small thread pool, record each outcome.

At least once: a job is marked done only after its handler returned, in a separate short
transaction; a crash in between leaves the job `running` until its lease runs out, and then it
runs again, so handlers must be idempotent (keys in the ledger, the delivery log, ...). Each
job runs on its own pool thread, so one slow handler (a hanging webhook receiver) never holds
up the others; the claim never takes more jobs than there are free threads.
"""

import logging
import os
import socket
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from credits_app.db import unit_of_work
from credits_app.jobs import store
from credits_app.jobs.periodic import schedule_due
from credits_app.jobs.registry import JobContext, Registry, RetryLater
from credits_app.jobs.store import ClaimedJob

logger = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class WorkerOptions:
    """How a worker runs: threads, lease, idle poll interval, periodic schedule interval."""

    concurrency: int = 4
    lease: timedelta = timedelta(seconds=120)
    poll_seconds: float = 1.0
    schedule_every_seconds: float = 1.0
    run_periodic: bool = True


def new_worker_id() -> str:
    """host:pid:random, so an operator can tell which process holds a job."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Worker:
    """Runs the registry's jobs until `stop()`; `run_due()` runs what is due once (tests, CLI)."""

    def __init__(self, registry: Registry, options: WorkerOptions | None = None) -> None:
        self.registry = registry
        self.options = options or WorkerOptions()
        self.id = new_worker_id()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._in_flight = 0
        self._lock = threading.Lock()

    def stop(self) -> None:
        """Ask the loop to end; running jobs finish first."""
        self._stop.set()
        self._wake.set()

    def run_forever(self) -> None:
        """Loop until stopped: schedule periodic jobs, claim as many jobs as threads are free."""
        last_schedule = 0.0
        with ThreadPoolExecutor(self.options.concurrency, thread_name_prefix="job") as pool:
            while not self._stop.is_set():
                now = time.monotonic()
                if self.options.run_periodic and (
                    now - last_schedule >= self.options.schedule_every_seconds
                ):
                    last_schedule = now
                    self._guarded(self.schedule_periodic)
                claimed = self._guarded(lambda: self._claim(self._free_threads())) or []
                for job in claimed:
                    self._started()
                    pool.submit(self.run_job, job).add_done_callback(self._finished)
                if not claimed or self._free_threads() == 0:
                    self._wake.wait(self.options.poll_seconds)
                    self._wake.clear()

    def run_due(self, max_rounds: int = 1000) -> int:
        """Run every due job in this thread until none is left; how many ran."""
        ran = 0
        for _ in range(max_rounds):
            if self.options.run_periodic:
                self.schedule_periodic()
            claimed = self._claim(self.options.concurrency)
            if not claimed:
                break
            for job in claimed:
                self.run_job(job)
                ran += 1
        return ran

    def schedule_periodic(self) -> int:
        """Enqueue every periodic job whose period has come (one runner per period)."""
        enqueued = 0
        for periodic in self.registry.periodic.values():
            with unit_of_work() as db:
                enqueued += schedule_due(db, periodic) is not None
        return enqueued

    def run_job(self, job: ClaimedJob) -> str:
        """Run one claimed job and record the outcome: done, pending (retry) or dead."""
        registration = self.registry.kinds.get(job.kind)
        if job.attempt > job.max_attempts:  # its last lease ran out mid-run
            return self._record_failure(job, "lease expired on the last attempt", timedelta(0))
        if registration is None:
            return self._record_failure(job, f"no handler for {job.kind!r}", timedelta(minutes=5))
        context = JobContext(job.id, job.kind, dict(job.payload), job.attempt, job.max_attempts)
        try:
            registration.handler(context)
        except RetryLater as retry:
            return self._record_failure(job, str(retry), retry.delay)
        except Exception as error:  # any handler failure is retried, never kills the worker
            logger.warning(
                "Job %s (%s) attempt %s failed: %s", job.id, job.kind, job.attempt, error
            )
            detail = "".join(traceback.format_exception_only(error)).strip()
            return self._record_failure(job, detail, registration.policy.delay(job.attempt))
        with unit_of_work() as db:
            store.finish(db, job, self.id)
        return "done"

    def _record_failure(self, job: ClaimedJob, error: str, delay: timedelta) -> str:
        with unit_of_work() as db:
            status = store.fail(db, job, self.id, error, delay)
        if status == "dead":
            logger.error(
                "Job %s (%s) is dead after %s attempts: %s", job.id, job.kind, job.attempt, error
            )
        return status

    def _claim(self, limit: int) -> list[ClaimedJob]:
        if limit <= 0:
            return []
        with unit_of_work() as db:
            return store.claim_due(db, self.id, self.registry.kinds, limit, self.options.lease)

    def _free_threads(self) -> int:
        with self._lock:
            return self.options.concurrency - self._in_flight

    def _started(self) -> None:
        with self._lock:
            self._in_flight += 1

    def _finished(self, _future: "Future[str]") -> None:
        with self._lock:
            self._in_flight -= 1
        self._wake.set()

    def _guarded(self, step: Callable[[], T]) -> T | None:
        """A database hiccup must not kill the loop: log it and try again next round."""
        try:
            return step()
        except Exception:  # e.g. the database restarting: log, wait, go on
            logger.exception("Worker %s: step failed; retrying", self.id)
            self._stop.wait(self.options.poll_seconds)
            return None


@contextmanager
def running_in_thread(worker: Worker) -> Iterator[Worker]:
    """Run `worker` on a daemon thread for the block (the embedded mode, tests)."""
    thread = threading.Thread(target=worker.run_forever, name="jobs-worker", daemon=True)
    thread.start()
    try:
        yield worker
    finally:
        worker.stop()
        thread.join(timeout=30)
