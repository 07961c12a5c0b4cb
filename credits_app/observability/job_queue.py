"""Job queue depth for `/metrics`, read from the jobs table when Prometheus scrapes.

The table is the queue (DESIGN §8), so its rows are the truth: a collector that counts them at
scrape time is right with any number of app workers, instances and background workers, needs
no multiprocess bookkeeping (each scrape asks the database once) and cannot drift the way
gauges incremented by the worker would after a `kill -9`. Finished (`done`) jobs are left out:
they are history, not depth, and counting them would scan the week of rows kept for operators;
the other statuses are read through the `(status, run_at)` index.
"""

import logging
from collections.abc import Iterator
from datetime import datetime

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, case, func, select
from sqlmodel import Session

from credits_app.clock import as_utc, utcnow
from credits_app.db import get_engine
from credits_app.jobs.outbox import jobs

DEPTH_STATUSES = ("pending", "running", "dead")
log = logging.getLogger(__name__)


class JobQueueCollector(Collector):
    """`uc_jobs{kind,status}`, `uc_jobs_due{kind}` and the oldest due job's age, per scrape.

    `engine` defaults to the app's (looked up at each scrape, so a test's engine is used).
    """

    def __init__(self, engine: Engine | None = None) -> None:
        self._engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        depth = GaugeMetricFamily(
            "uc_jobs",
            "Jobs in the queue by kind and status (pending, running, dead); done jobs excluded.",
            labels=["kind", "status"],
        )
        due = GaugeMetricFamily(
            "uc_jobs_due",
            "Pending jobs whose run_at has come: what the workers should be running now.",
            labels=["kind"],
        )
        oldest = GaugeMetricFamily(
            "uc_jobs_oldest_due_age_seconds",
            "How long the oldest due pending job has waited past its run_at (0 when none).",
        )
        scrape_ok = GaugeMetricFamily(
            "uc_jobs_scrape_ok", "1 when the jobs table answered this scrape, 0 when it did not."
        )
        try:
            rows, oldest_run_at = _read_queue(self._engine or get_engine(), utcnow())
        except Exception:  # the database down must not take /metrics (and its other series) down
            log.warning("job queue depth unavailable for /metrics", exc_info=True)
            scrape_ok.add_metric([], 0)
            yield scrape_ok
            return
        for kind, status, count, due_count in rows:
            depth.add_metric([kind, status], count)
            if status == "pending":
                due.add_metric([kind], due_count)
        age = 0.0 if oldest_run_at is None else (utcnow() - as_utc(oldest_run_at)).total_seconds()
        oldest.add_metric([], max(age, 0.0))
        scrape_ok.add_metric([], 1)
        yield from (depth, due, oldest, scrape_ok)


def _read_queue(
    engine: Engine, now: datetime
) -> tuple[list[tuple[str, str, int, int]], datetime | None]:
    """(kind, status, count, due count) for the non-finished statuses, and the oldest due run_at."""
    is_due = (jobs.c.status == "pending") & (jobs.c.run_at <= now)
    with Session(engine) as db:  # read-only: closed without a commit
        rows = db.execute(
            select(
                jobs.c.kind,
                jobs.c.status,
                func.count(),
                func.coalesce(func.sum(case((is_due, 1), else_=0)), 0),
            )
            .where(jobs.c.status.in_(DEPTH_STATUSES))
            .group_by(jobs.c.kind, jobs.c.status)
        ).all()
        oldest_run_at = db.execute(select(func.min(jobs.c.run_at)).where(is_due)).scalar()
    return [(k, s, int(c), int(d)) for k, s, c, d in rows], oldest_run_at
