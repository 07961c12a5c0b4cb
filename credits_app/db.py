"""Engine and unit of work. SQLite gets WAL + BEGIN IMMEDIATE; Postgres runs in UTC.

Every service call is one transaction: `unit_of_work()` commits when the block ends
and rolls back on any exception, so a failed operation leaves nothing half-written. An error
may carry work that must happen *because* it failed (telling a wallet's owner a spend was
refused by the monthly limit): its `after_rollback` actions run once the transaction has
rolled back, each in a transaction of its own.

On Postgres every instance lives within one connection budget (`DB_MAX_CONNECTIONS`):
`pool_plan` splits it over the instance's worker processes, so N instances can never open
more than N x budget connections, and every session carries lock and statement timeouts so
no request waits unboundedly (a timeout is answered 503 `busy`, see `database_failure`).
"""

import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Engine, event
from sqlalchemy import exc as sa_exc
from sqlmodel import Session, create_engine

from credits_app.settings import Settings, get_settings

_engine: Engine | None = None
_read_engine: Engine | None = None
_engine_lock = threading.Lock()
log = logging.getLogger(__name__)
READ_ONLY_OPTION = "credits_read_only"  # execution option: SQLite's BEGIN is deferred

MAX_DEFAULT_WORKERS = 8  # Reflex's own cap on backend workers
# Postgres SQLSTATEs that mean "too much contention right now": retrying later is safe.
BUSY_SQLSTATES = frozenset(
    {
        "55P03",  # lock_not_available (lock_timeout)
        "57014",  # query_canceled (statement_timeout)
        "40001",  # serialization_failure
        "40P01",  # deadlock_detected
        "53300",  # too_many_connections
        "53000",  # insufficient_resources
    }
)
DatabaseFailure = Literal["busy", "unavailable"]


@dataclass(frozen=True)
class PoolPlan:
    """How one instance spends its connection budget: `workers` processes, each with a pool
    of `pool_size` connections kept open plus `max_overflow` opened on demand and closed
    again when returned (so idle connections shrink back to `workers x pool_size`)."""

    workers: int
    pool_size: int
    max_overflow: int

    @property
    def per_worker(self) -> int:
        """The most connections one worker process can hold at once."""
        return self.pool_size + self.max_overflow

    @property
    def total(self) -> int:
        """The most connections the whole instance can hold at once (<= the budget)."""
        return self.workers * self.per_worker


def pool_plan(settings: Settings, cpu_count: int | None = None) -> PoolPlan:
    """Derive workers and per-worker pools from `DB_MAX_CONNECTIONS`.

    Without REDIS_URL Reflex keeps state in process memory, so there is one worker. With it,
    Reflex would start 2 x cores + 1 workers (max 8); we do the same but never more than
    half the budget, so each worker gets at least two connections. An API-only process
    (PROCESS_ROLE=api) holds no Reflex state: one worker per core, Redis or not.
    """
    budget = settings.db_max_connections
    if settings.backend_workers is not None:
        workers = settings.backend_workers
        if workers > 1 and settings.redis_url is None and settings.process_role != "api":
            raise ValueError("BACKEND_WORKERS > 1 needs REDIS_URL (Reflex state in Redis).")
    elif settings.process_role == "api":  # stateless: one process per core
        workers = max(1, min(_cores(cpu_count), MAX_DEFAULT_WORKERS, budget // 2))
    elif settings.redis_url is None:
        workers = 1
    else:
        workers = max(1, min(2 * _cores(cpu_count) + 1, MAX_DEFAULT_WORKERS, budget // 2))
    if workers > budget:
        raise ValueError(
            f"DB_MAX_CONNECTIONS={budget} is less than one connection per worker ({workers})."
        )
    per_worker = budget // workers
    pool_size = min(settings.db_pool_idle or per_worker, per_worker)
    return PoolPlan(workers=workers, pool_size=pool_size, max_overflow=per_worker - pool_size)


def _cores(cpu_count: int | None) -> int:
    return cpu_count if cpu_count is not None else os.cpu_count() or 1


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine tuned for the dialect: safe concurrent writers on SQLite, a budgeted pool
    with session timeouts on Postgres. `kwargs` override the pool options (tests, admin)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        _make_sqlite_transactions_immediate(engine)
        return engine
    settings = get_settings()
    plan = pool_plan(settings)
    # No pool_pre_ping: it costs three extra round trips per checkout (measured, bench/README.md),
    # halving ledger throughput. A connection dropped by a server restart fails one request
    # (503 unavailable) and is then discarded by SQLAlchemy's disconnect detection.
    # The server closes sessions idle for twice the recycle age; the pool never hands out a
    # connection that old (it recycles it first), so idle connections disappear by themselves.
    options = {
        "pool_size": plan.pool_size,
        "max_overflow": plan.max_overflow,
        "pool_timeout": settings.db_pool_timeout_seconds,
        "pool_recycle": settings.db_pool_recycle_seconds,
        "pool_use_lifo": True,  # reuse hot connections; the cold ones age out
    } | kwargs
    server_options = {
        "timezone": "UTC",
        "lock_timeout": f"{settings.db_lock_timeout_ms}ms",
        "statement_timeout": f"{settings.db_statement_timeout_ms}ms",
        "idle_session_timeout": f"{2 * settings.db_pool_recycle_seconds}s",
    }
    connect_args = {
        "options": " ".join(f"-c {name}={value}" for name, value in server_options.items()),
        "application_name": settings.db_application_name,
    }
    return create_engine(url, connect_args=connect_args, **options)


def database_failure(error: BaseException) -> DatabaseFailure | None:
    """Whether a database error is transient: `busy` (pool exhausted, lock or statement
    timeout, too many clients) or `unavailable` (the server is down or the connection
    dropped). None means a real bug, which stays a 500. Both are safe to retry: the
    transaction rolled back, and idempotency keys make a replay apply once."""
    if isinstance(error, sa_exc.TimeoutError):  # QueuePool limit reached
        return "busy"
    if isinstance(error, sa_exc.DisconnectionError):
        return "unavailable"
    if not isinstance(error, sa_exc.DBAPIError):
        return None
    sqlstate = getattr(error.orig, "sqlstate", None)
    if sqlstate in BUSY_SQLSTATES or "database is locked" in str(error.orig):
        return "busy"
    if isinstance(error.orig, sqlite3.Error):
        return None  # a local file: anything else is a bug, not an outage
    if error.connection_invalidated:
        return "unavailable"
    if isinstance(error, sa_exc.OperationalError | sa_exc.InterfaceError) and (
        sqlstate is None or sqlstate.startswith(("08", "57P"))
    ):
        return "unavailable"  # refused, reset, admin shutdown, starting up
    return None


def _make_sqlite_transactions_immediate(engine: Engine) -> None:
    """Take SQLite's write lock at BEGIN, so read-then-write transactions never deadlock."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy's BEGIN below do the work
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A read takes no write lock: a deferred BEGIN is a consistent snapshot under WAL.
        read = connection.get_execution_options().get(READ_ONLY_OPTION)
        connection.exec_driver_sql("BEGIN" if read else "BEGIN IMMEDIATE")


def get_engine() -> Engine:
    """The process-wide engine for `DATABASE_URL`, created on first use."""
    global _engine
    if _engine is None:
        # Under a burst, many threads of a fresh worker get here at once; without the lock
        # each built its own engine and pool, and the budget was exceeded several times over.
        with _engine_lock:
            if _engine is None:
                _engine = make_engine(get_settings().database_url)
    return _engine


def use_engine(engine: Engine) -> None:
    """Point the services at another database (tests, the CLI's --database option)."""
    global _engine, _read_engine
    if _engine is not None and _engine is not engine:
        _engine.dispose()
    _engine = engine
    _read_engine = None


def _reading_engine() -> Engine:
    """The engine's read-only twin (same pool): autocommit on Postgres, deferred BEGIN on
    SQLite."""
    global _read_engine
    engine = get_engine()
    twin = _read_engine
    if twin is None or twin.pool is not engine.pool:
        if engine.dialect.name == "postgresql":
            twin = engine.execution_options(isolation_level="AUTOCOMMIT")
        else:
            twin = engine.execution_options(**{READ_ONLY_OPTION: True})
        _read_engine = twin
    return twin


@contextmanager
def read_only(session: Session | None = None) -> Iterator[Session]:
    """A read that commits nothing; joins the caller's session when one is given.

    On Postgres the session runs in autocommit: no BEGIN and no COMMIT round trip, and every
    statement sees the latest committed data, exactly as READ COMMITTED gives it inside a
    transaction (reads that must agree with each other are written as one statement). On
    SQLite it is a deferred BEGIN, a snapshot that never takes the write lock, rolled back.
    Writing through it is a bug (on Postgres the write would commit on its own).
    """
    if session is not None:
        yield session
        return
    with Session(_reading_engine(), expire_on_commit=False) as new_session:
        yield new_session


def violates(error: sa_exc.IntegrityError, constraint: str, *, sqlite_columns: str) -> bool:
    """Whether an IntegrityError is a violation of `constraint`: Postgres names it; SQLite only
    names the columns (`table.column`) in its message."""
    named = getattr(getattr(error.orig, "diag", None), "constraint_name", None)
    if named is not None:
        return bool(named == constraint)
    return sqlite_columns in str(error.orig)


@contextmanager
def unit_of_work(session: Session | None = None) -> Iterator[Session]:
    """One transaction; joins the caller's session when one is given, so use cases compose."""
    if session is not None:
        yield session
        return
    try:
        with (
            Session(get_engine(), expire_on_commit=False) as new_session,
            new_session.begin(),
        ):
            yield new_session
    except Exception as error:
        run_after_rollback(error)
        raise


def run_after_rollback(error: BaseException) -> None:
    """Run (once) the `after_rollback` actions `error` carries, now that its transaction is gone.

    Only the outermost transaction the error escapes runs them, since a joined session does not
    end its transaction. An action that fails is logged, never raised over the original error.
    """
    actions: list[Callable[[], object]] | None = getattr(error, "after_rollback", None)
    while actions:
        action = actions.pop(0)
        try:
            action()
        except Exception:
            log.exception("after-rollback action of %s failed", type(error).__name__)
