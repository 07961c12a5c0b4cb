"""Enqueue a job inside the caller's transaction: the write half of the transactional outbox.

The row is inserted on the caller's session, so it commits or rolls back with the change that
caused it: no job for a rolled-back change, and no lost job for a committed one.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from credits_app.clock import utcnow
from credits_app.jobs.registry import RetryPolicy
from credits_app.models import Job

jobs = cast(Table, Job.__table__)  # type: ignore[attr-defined]


def enqueue(
    session: Session,
    kind: str,
    payload: Mapping[str, Any] | None = None,
    *,
    run_at: datetime | None = None,
    dedupe_key: str | None = None,
    max_attempts: int | None = None,
) -> int | None:
    """Insert a pending job; returns its id, or None when `dedupe_key` is already queued."""
    now = utcnow()
    values = {
        "kind": kind,
        "payload": dict(payload or {}),
        "status": "pending",
        "attempts": 0,
        "max_attempts": max_attempts or RetryPolicy().max_attempts,
        "run_at": run_at or now,
        "dedupe_key": dedupe_key,
        "created_at": now,
    }
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(jobs).values(values)
    if dedupe_key is not None:
        insert = insert.on_conflict_do_nothing(index_elements=["dedupe_key"])
    job_id = session.execute(insert.returning(jobs.c.id)).scalar_one_or_none()
    return None if job_id is None else int(job_id)
