"""Prometheus metrics, correct with several worker processes.

With more than one worker, each process writes its samples to files in
`PROMETHEUS_MULTIPROC_DIR` and `/metrics` sums them (prometheus-client's multiprocess mode);
the directory must be set before prometheus-client is first imported and be empty at start
(`python -m credits_app serve` does both). With one worker the ordinary registry is used.
"""

from typing import Any

from credits_app.settings import get_settings, publish_to_environment

_multiproc_dir = get_settings().prometheus_multiproc_dir
if _multiproc_dir:  # also when it came from .env, which prometheus-client does not read
    publish_to_environment("PROMETHEUS_MULTIPROC_DIR", _multiproc_dir)

from prometheus_client import (  # noqa: E402  (must follow the environment set above)
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy import event  # noqa: E402
from sqlalchemy.pool import Pool  # noqa: E402

from credits_app.observability.job_queue import JobQueueCollector  # noqa: E402

REQUEST_SECONDS = Histogram(
    "uc_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
DEDUCTIONS = Counter(
    "uc_deductions_total",
    "Service deductions (POST /api/internal/credits/deduct) by outcome: ok or the error code.",
    ["outcome"],
)
WEBHOOKS = Counter(
    "uc_stripe_webhooks_total",
    "Stripe webhook deliveries by outcome: ok or the error code, and the HTTP status.",
    ["outcome", "status"],
)
DATABASE_FAILURES = Counter(
    "uc_database_failures_total",
    "Requests answered 503 because the database was busy or unavailable.",
    ["kind"],
)
POOL_IN_USE = Gauge(
    "uc_db_pool_connections_in_use",
    "Database connections checked out of the pools right now (all workers).",
    multiprocess_mode="livesum",
)
POOL_OPEN = Gauge(
    "uc_db_pool_connections_open",
    "Database connections the pools hold open, idle or in use (all workers).",
    multiprocess_mode="livesum",
)


# Read from the jobs table at each scrape (not per worker), so it is its own registry: the
# same figures whichever worker answers, and no query when the module is imported.
_QUEUE_REGISTRY = CollectorRegistry()
_QUEUE_REGISTRY.register(JobQueueCollector())


def render_metrics() -> tuple[bytes, str]:
    """The exposition text for every worker of this instance, and its content type."""
    if _multiproc_dir:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        workers = generate_latest(registry)
    else:
        workers = generate_latest(REGISTRY)
    return workers + generate_latest(_QUEUE_REGISTRY), CONTENT_TYPE_LATEST


def _track_pools() -> None:
    """Count connections of every SQLAlchemy pool in this process through pool events."""

    @event.listens_for(Pool, "connect")
    def _opened(_dbapi_connection: Any, _record: Any) -> None:
        POOL_OPEN.inc()

    @event.listens_for(Pool, "close")
    def _closed(_dbapi_connection: Any, _record: Any) -> None:
        POOL_OPEN.dec()

    @event.listens_for(Pool, "close_detached")
    def _closed_detached(_dbapi_connection: Any) -> None:
        POOL_OPEN.dec()

    @event.listens_for(Pool, "checkout")
    def _checked_out(_dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        POOL_IN_USE.inc()

    @event.listens_for(Pool, "checkin")
    def _checked_in(_dbapi_connection: Any, _record: Any) -> None:
        POOL_IN_USE.dec()


_track_pools()
