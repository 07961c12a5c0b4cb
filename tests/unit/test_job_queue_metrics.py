"""The job queue depth collector of /metrics on SQLite and Postgres, and with the database down."""

import uuid
from datetime import timedelta

from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy import Engine, update

from credits_app.clock import utcnow
from credits_app.db import make_engine, unit_of_work
from credits_app.jobs.outbox import enqueue, jobs
from credits_app.observability.job_queue import JobQueueCollector


def scrape(engine: Engine) -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(JobQueueCollector(engine))
    return registry


def test_depth_counts_pending_running_and_dead_by_kind_and_due_only_when_run_at_has_come(
    any_engine: Engine,
) -> None:
    kind = f"test.{uuid.uuid4().hex[:10]}"
    with unit_of_work() as db:
        enqueue(db, kind)
        enqueue(db, kind)
        enqueue(db, kind, run_at=utcnow() + timedelta(minutes=10))
        running = enqueue(db, kind)
        done = enqueue(db, kind)
        db.execute(update(jobs).where(jobs.c.id == running).values(status="running"))
        db.execute(update(jobs).where(jobs.c.id == done).values(status="done"))
    registry = scrape(any_engine)
    value = registry.get_sample_value
    assert value("uc_jobs", {"kind": kind, "status": "pending"}) == 3
    assert value("uc_jobs", {"kind": kind, "status": "running"}) == 1
    assert value("uc_jobs", {"kind": kind, "status": "done"}) is None
    assert value("uc_jobs_due", {"kind": kind}) == 2
    assert value("uc_jobs_scrape_ok") == 1
    assert b"uc_jobs_oldest_due_age_seconds" in generate_latest(registry)


def test_a_database_that_does_not_answer_gives_scrape_ok_0_and_no_error() -> None:
    nowhere = make_engine("postgresql+psycopg://postgres@127.0.0.1:9/nothing")
    try:
        registry = scrape(nowhere)
        assert registry.get_sample_value("uc_jobs_scrape_ok") == 0
        assert b"uc_jobs{" not in generate_latest(registry)
    finally:
        nowhere.dispose()
