"""Periodic jobs with one runner: whoever moves a schedule row's `next_run_at` enqueues the run.

`UPDATE periodic_jobs SET next_run_at = … WHERE name = … AND next_run_at <= now` succeeds for
one worker per period: on Postgres a concurrent worker waits on the row lock and then sees the
moved time; on SQLite writers are serialised. The run itself is an ordinary job (retries,
dead-letter), enqueued in the same transaction with a per-period dedupe key as a second guard.
"""

from sqlalchemy import Table, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from credits_app.clock import utcnow
from credits_app.jobs.outbox import enqueue
from credits_app.jobs.registry import Periodic
from credits_app.models import PeriodicJob

schedule = PeriodicJob.__table__  # type: ignore[attr-defined]


def schedule_due(db: Session, periodic: Periodic) -> int | None:
    """Enqueue `periodic`'s run if its period has come and nobody else took it; the job id."""
    now = utcnow()
    table: Table = schedule
    dialect = db.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    db.execute(
        insert.values(name=periodic.name, next_run_at=now).on_conflict_do_nothing(
            index_elements=["name"]
        )
    )
    moved = db.execute(
        update(table)
        .where(table.c.name == periodic.name, table.c.next_run_at <= now)
        .values(next_run_at=now + periodic.every(), last_run_at=now)
        .returning(table.c.name)
    ).one_or_none()
    if moved is None:
        return None
    return enqueue(db, periodic.kind, {}, dedupe_key=f"periodic:{periodic.name}:{now.isoformat()}")
