"""Throwaway databases built by the real Alembic migrations, for SQLite and PostgreSQL."""

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, make_url, text

from credits_app.db import make_engine
from credits_app.migrations import upgrade_to_head


def migrated_sqlite_template(directory: Path) -> Path:
    """Migrate one SQLite file; tests copy it instead of migrating again."""
    template = directory / "template.db"
    engine = make_engine(f"sqlite:///{template}")
    upgrade_to_head(engine, log=False)
    engine.dispose()
    return template


def fresh_sqlite_engine(template: Path, directory: Path) -> Engine:
    """A private copy of the migrated template, so each test starts empty."""
    target = directory / f"{uuid.uuid4().hex}.db"
    shutil.copyfile(template, target)
    return make_engine(f"sqlite:///{target}")


def postgres_admin_url() -> str | None:
    """TEST_DATABASE_URL, the Postgres server the Postgres tests use (CI sets it)."""
    return os.environ.get("TEST_DATABASE_URL")


@contextmanager
def scratch_postgres_database(admin_url: str, prefix: str = "credits_test") -> Iterator[str]:
    """Create a uniquely named database on the server, yield its URL, drop it afterwards.

    Also used by bench/ledger_bench.py. The drop uses FORCE, so a crashed client's leftover
    connection cannot keep the database alive.
    """
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT", pool_size=1, max_overflow=0)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def count_sessions(admin: Engine, application_name: str, *, waiting_on_lock: bool = False) -> int:
    """How many Postgres sessions apps opened whose DB_APPLICATION_NAME starts with
    `application_name`, from pg_stat_activity: the server's own count, whatever the pools
    believe. `waiting_on_lock` counts only those blocked on a lock right now."""
    sql = "SELECT count(*) FROM pg_stat_activity WHERE starts_with(application_name, :name)"
    if waiting_on_lock:
        sql += " AND wait_event_type = 'Lock'"
    with admin.connect() as connection:
        count = connection.execute(text(sql), {"name": application_name}).scalar_one()
    return int(count)
