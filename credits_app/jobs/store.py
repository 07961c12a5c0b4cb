"""The queue's SQL: claim due jobs under a lease, finish them, retry or bury them.

Claiming is one `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED LIMIT n) RETURNING`:
on Postgres concurrent workers skip each other's rows, so every job goes to one worker; SQLite
ignores the lock clause and needs none, since `BEGIN IMMEDIATE` (db.py) admits one writer.
A claim sets a lease (`locked_until`); a `running` job whose lease ran out is due again, which
is how the job of a worker killed with `kill -9` gets run. Finishing is fenced by the claim
(`locked_by` and `attempts`), so a worker that lost its lease cannot overwrite the new owner's
outcome.
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlmodel import Session

from credits_app.clock import utcnow
from credits_app.jobs.outbox import jobs

MAX_ERROR_LENGTH = 2000


@dataclass(frozen=True)
class ClaimedJob:
    """A job this worker holds the lease on, as of the claim."""

    id: int
    kind: str
    payload: dict[str, Any]
    attempt: int  # this run's number, 1-based
    max_attempts: int


def claim_due(
    db: Session, worker_id: str, kinds: Collection[str], limit: int, lease: timedelta
) -> list[ClaimedJob]:
    """Take up to `limit` due jobs of `kinds` (pending and due, or running, lease expired).

    Only kinds this worker can run: a worker of an older release leaves newer kinds alone.
    """
    now = utcnow()
    due = (
        select(jobs.c.id)
        .where(
            jobs.c.kind.in_(list(kinds)),
            or_(
                and_(jobs.c.status == "pending", jobs.c.run_at <= now),
                and_(jobs.c.status == "running", jobs.c.locked_until < now),
            ),
        )
        .order_by(jobs.c.run_at, jobs.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = db.execute(
        update(jobs)
        .where(jobs.c.id.in_(due.scalar_subquery()))
        .values(
            status="running",
            attempts=jobs.c.attempts + 1,
            locked_by=worker_id,
            locked_until=now + lease,
        )
        .returning(jobs.c.id, jobs.c.kind, jobs.c.payload, jobs.c.attempts, jobs.c.max_attempts)
    ).all()
    return sorted((ClaimedJob(*row) for row in claimed), key=lambda job: job.id)


def finish(db: Session, job: ClaimedJob, worker_id: str) -> bool:
    """Mark the job done; False when this worker no longer holds it (its lease was taken)."""
    return _settle(db, job, worker_id, status="done", finished_at=utcnow())


def fail(db: Session, job: ClaimedJob, worker_id: str, error: str, delay: timedelta) -> str:
    """Record a failed attempt: retry after `delay`, or `dead` after the last attempt."""
    status = "dead" if job.attempt >= job.max_attempts else "pending"
    now = utcnow()
    _settle(
        db,
        job,
        worker_id,
        status=status,
        run_at=now + delay,
        last_error=error[:MAX_ERROR_LENGTH],
        finished_at=now if status == "dead" else None,
    )
    return status


def _settle(db: Session, job: ClaimedJob, worker_id: str, **values: Any) -> bool:
    fenced = and_(
        jobs.c.id == job.id,
        jobs.c.status == "running",
        jobs.c.locked_by == worker_id,
        jobs.c.attempts == job.attempt,
    )
    result = db.execute(
        update(jobs).where(fenced).values(locked_by=None, locked_until=None, **values)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
