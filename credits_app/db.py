"""Engine and unit of work. SQLite gets WAL + BEGIN IMMEDIATE; Postgres runs in UTC.

Every service call is one transaction: `unit_of_work()` commits when the block ends
and rolls back on any exception, so a failed operation leaves nothing half-written.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event
from sqlmodel import Session, create_engine

from credits_app.settings import get_settings

_engine: Engine | None = None


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine tuned for the dialect: safe concurrent writers on SQLite, a pool on Postgres."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        _make_sqlite_transactions_immediate(engine)
        return engine
    # No pool_pre_ping: it costs three extra round trips per checkout (measured, bench/README.md),
    # halving ledger throughput. A connection dropped by a server restart fails one request and
    # is then discarded by SQLAlchemy's disconnect detection; pool_recycle retires old ones.
    options = {"pool_size": 20, "max_overflow": 20, "pool_recycle": 1800} | kwargs
    return create_engine(url, connect_args={"options": "-c timezone=UTC"}, **options)


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
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def get_engine() -> Engine:
    """The process-wide engine for `DATABASE_URL`, created on first use."""
    global _engine
    if _engine is None:
        _engine = make_engine(get_settings().database_url)
    return _engine


def use_engine(engine: Engine) -> None:
    """Point the services at another database (tests, the CLI's --database option)."""
    global _engine
    if _engine is not None and _engine is not engine:
        _engine.dispose()
    _engine = engine


@contextmanager
def unit_of_work(session: Session | None = None) -> Iterator[Session]:
    """One transaction; joins the caller's session when one is given, so use cases compose."""
    if session is not None:
        yield session
        return
    with (
        Session(get_engine(), expire_on_commit=False) as new_session,
        new_session.begin(),
    ):
        yield new_session
