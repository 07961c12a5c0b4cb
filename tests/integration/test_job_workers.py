"""Real worker processes on Postgres: exactly-once claims, and a `kill -9` mid-job.

Each test gets a scratch database (the handler writes to a table that is not a model).
"""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, text

from credits_app.db import make_engine, unit_of_work, use_engine
from credits_app.jobs.outbox import enqueue
from credits_app.migrations import upgrade_to_head
from tests.support.app_server import PROJECT_ROOT, app_environment
from tests.support.databases import postgres_admin_url, scratch_postgres_database
from tests.support.job_worker import create_effects_table

pytestmark = pytest.mark.postgres
KIND = "test.record"
DEADLINE_SECONDS = 60


@pytest.fixture
def scratch(postgres_url: str) -> Iterator[tuple[str, Engine]]:
    admin_url = postgres_admin_url()
    assert admin_url is not None
    with scratch_postgres_database(admin_url, prefix="jobs_test") as url:
        engine = make_engine(url)
        upgrade_to_head(engine, log=False)
        create_effects_table(engine)
        use_engine(engine)
        yield url, engine
        engine.dispose()


@contextmanager
def worker_process(database_url: str, lease_seconds: float = 30) -> Iterator[subprocess.Popen]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.job_worker", database_url, KIND, str(lease_seconds)],
        cwd=PROJECT_ROOT,
        env=app_environment(database_url),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def effects(engine: Engine, query: str) -> list[tuple]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(query)).all()]


def wait_until(condition, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_two_workers_run_each_of_500_jobs_exactly_once(scratch: tuple[str, Engine]) -> None:
    url, engine = scratch
    with unit_of_work() as db:
        ids = [enqueue(db, KIND, {"n": n}) for n in range(500)]
    with worker_process(url), worker_process(url):
        wait_until(
            lambda: effects(engine, "SELECT count(*) FROM jobs WHERE status = 'done'")[0][0] == 500,
            "500 jobs done",
        )
    runs = effects(engine, "SELECT job_id, count(*) FROM job_effects GROUP BY job_id")
    assert sorted(job_id for job_id, _ in runs) == sorted(ids)
    assert {count for _, count in runs} == {1}, "no job ran twice"
    workers = effects(engine, "SELECT count(DISTINCT worker) FROM job_effects")[0][0]
    assert workers == 2, "both workers took part"


def test_a_job_of_a_worker_killed_mid_job_runs_again_after_its_lease(
    scratch: tuple[str, Engine],
) -> None:
    url, engine = scratch
    with unit_of_work() as db:
        job_id = enqueue(db, KIND, {"hang": True})
    with worker_process(url, lease_seconds=1) as doomed:
        wait_until(lambda: effects(engine, "SELECT count(*) FROM job_effects")[0][0] == 1, "start")
        os.kill(doomed.pid, signal.SIGKILL)
        doomed.wait(timeout=10)
    status = effects(engine, f"SELECT status, attempts FROM jobs WHERE id = {job_id}")
    assert status == [("running", 1)], "the killed worker never finished it"
    with worker_process(url, lease_seconds=30):
        wait_until(
            lambda: effects(engine, f"SELECT status FROM jobs WHERE id = {job_id}") == [("done",)],
            "the job to be run again",
        )
    runs = effects(engine, "SELECT what, attempt FROM job_effects ORDER BY attempt")
    assert runs == [("started", 1), ("done", 2)], "its effect completed once, on the second run"
