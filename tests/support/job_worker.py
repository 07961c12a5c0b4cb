"""A real worker process for tests: `python -m tests.support.job_worker DATABASE_URL KIND`.

It runs the production `Worker` with one test kind whose handler records its effect in the
`job_effects` table (created by `create_effects_table` in a scratch database), so a test can
count how often each job ran. A payload with `"hang": true` blocks its first attempt forever
after recording `started`, so the test can `kill -9` the process mid-job.
"""

import sys
import time
from datetime import timedelta

from sqlalchemy import Engine, text

from credits_app.db import make_engine, unit_of_work, use_engine
from credits_app.jobs.registry import JobContext, Registry
from credits_app.jobs.worker import Worker, WorkerOptions

EFFECTS_TABLE = """
CREATE TABLE IF NOT EXISTS job_effects (
    job_id BIGINT NOT NULL, worker TEXT NOT NULL, what TEXT NOT NULL, attempt INTEGER NOT NULL
)
"""


def create_effects_table(engine: Engine) -> None:
    """The table the test handler writes to (only in scratch databases: not a model)."""
    with engine.begin() as connection:
        connection.execute(text(EFFECTS_TABLE))


def recording_registry(kind: str, worker_id: str) -> Registry:
    """A registry with one kind that records each run; `hang` jobs block their first attempt."""

    def record(job: JobContext) -> None:
        hang = bool(job.payload.get("hang")) and job.attempt == 1
        with unit_of_work() as db:
            db.execute(
                text("INSERT INTO job_effects VALUES (:id, :worker, :what, :attempt)"),
                {
                    "id": job.id,
                    "worker": worker_id,
                    "what": "started" if hang else "done",
                    "attempt": job.attempt,
                },
            )
        while hang:
            time.sleep(3600)

    registry = Registry()
    registry.register(kind, record)
    return registry


def main(database_url: str, kind: str, lease_seconds: float) -> None:
    """Run a worker on `database_url` for `kind` until killed."""
    use_engine(make_engine(database_url))
    options = WorkerOptions(
        concurrency=4, lease=timedelta(seconds=lease_seconds), poll_seconds=0.05, run_periodic=False
    )
    worker = Worker(Registry(), options)
    worker.registry = recording_registry(kind, worker.id)
    print("ready", flush=True)
    worker.run_forever()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]))
