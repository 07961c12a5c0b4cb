"""The embedded default: `reflex run` starts the job worker inside the app process (SQLite)."""

import time
from pathlib import Path

from sqlalchemy import select

from credits_app.db import make_engine
from credits_app.jobs.catalog import RELEASE_EXPIRED_HOLDS
from credits_app.jobs.outbox import jobs
from tests.support.app_server import prepare_database, running_app


def test_the_app_process_runs_the_periodic_jobs_itself(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'embedded.db'}"
    prepare_database(url, "migrate")
    engine = make_engine(url)
    query = select(jobs.c.status).where(jobs.c.kind == RELEASE_EXPIRED_HOLDS)
    with running_app(url, tmp_path, backend_only=True, env={"JOBS_WORKER_IN_APP": "true"}):
        deadline = time.monotonic() + 60
        while True:
            with engine.connect() as connection:
                statuses = connection.execute(query).scalars().all()
            if "done" in statuses:
                break
            assert time.monotonic() < deadline, f"the embedded worker ran nothing: {statuses}"
            time.sleep(0.2)
    engine.dispose()
