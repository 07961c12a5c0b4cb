"""Operator views of the queue: counts, dead jobs, retry and purge (the `jobs` CLI)."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update

from credits_app.clock import utcnow
from credits_app.db import unit_of_work
from credits_app.jobs.outbox import jobs


@dataclass(frozen=True)
class JobRow:
    """One job as an operator sees it."""

    id: int
    kind: str
    status: str
    attempts: int
    max_attempts: int
    run_at: datetime
    last_error: str | None


def count_by_status() -> dict[str, dict[str, int]]:
    """{kind: {status: count}} for every kind in the table."""
    with unit_of_work() as db:
        rows = db.execute(
            select(jobs.c.kind, jobs.c.status, func.count()).group_by(jobs.c.kind, jobs.c.status)
        ).all()
    counts: dict[str, dict[str, int]] = {}
    for kind, status, count in rows:
        counts.setdefault(kind, {})[status] = int(count)
    return counts


def list_jobs(status: str | None = None, limit: int = 50) -> list[JobRow]:
    """The newest jobs, optionally only those in `status`."""
    query = select(
        jobs.c.id,
        jobs.c.kind,
        jobs.c.status,
        jobs.c.attempts,
        jobs.c.max_attempts,
        jobs.c.run_at,
        jobs.c.last_error,
    ).order_by(jobs.c.id.desc())
    if status is not None:
        query = query.where(jobs.c.status == status)
    with unit_of_work() as db:
        return [JobRow(*row) for row in db.execute(query.limit(limit)).all()]


def retry_dead(job_ids: list[int] | None = None) -> int:
    """Give dead jobs (all, or the given ids) a fresh set of attempts, due now; how many."""
    query = update(jobs).where(jobs.c.status == "dead")
    if job_ids:
        query = query.where(jobs.c.id.in_(job_ids))
    with unit_of_work() as db:
        result = db.execute(
            query.values(status="pending", attempts=0, run_at=utcnow(), finished_at=None)
        )
    return int(result.rowcount)  # type: ignore[attr-defined]


def purge_dead() -> int:
    """Delete every dead job; how many."""
    with unit_of_work() as db:
        result = db.execute(delete(jobs).where(jobs.c.status == "dead"))
    return int(result.rowcount)  # type: ignore[attr-defined]
