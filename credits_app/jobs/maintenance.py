"""Periodic upkeep jobs: free holds whose request died, prune finished jobs.

Hold expiry used to happen only when the next hold or a refused debit touched the wallet; as a
periodic job it also frees the credits of idle wallets. Each wallet is its own transaction, so
one slow wallet never holds the others' locks.
"""

from datetime import timedelta

from sqlalchemy import delete, select

from credits_app.clock import utcnow
from credits_app.credits.hold_expiry import HOLD_TTL, holds, release_expired_holds
from credits_app.db import unit_of_work
from credits_app.jobs.outbox import jobs
from credits_app.jobs.registry import JobContext

KEEP_FINISHED_JOBS = timedelta(days=7)


def release_expired_holds_everywhere(_job: JobContext | None = None) -> int:
    """Release every hold older than HOLD_TTL on every wallet; how many units came back."""
    with unit_of_work() as db:
        wallet_ids = db.execute(
            select(holds.c.wallet_id)
            .where(holds.c.status == "active", holds.c.created_at < utcnow() - HOLD_TTL)
            .distinct()
        ).scalars()
        due = list(wallet_ids)
    released = 0
    for wallet_id in due:
        with unit_of_work() as db:
            released += release_expired_holds(db, wallet_id)
    return released


def prune_finished_jobs(_job: JobContext | None = None) -> int:
    """Delete done jobs older than a week (dead ones stay until an operator purges them)."""
    with unit_of_work() as db:
        result = db.execute(
            delete(jobs).where(
                jobs.c.status == "done", jobs.c.finished_at < utcnow() - KEEP_FINISHED_JOBS
            )
        )
    return int(result.rowcount)  # type: ignore[attr-defined]
