"""Shared fixtures: a migrated database per test (SQLite always, Postgres when configured).

Postgres tests need TEST_DATABASE_URL. Under CI=true a missing or unreachable Postgres is a
failure, never a silent skip.
"""

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from credits_app.auth.accounts import OrgInfo, UserInfo, create_organization, create_user
from credits_app.db import make_engine, use_engine
from credits_app.migrations import upgrade_to_head
from tests.support.databases import (
    fresh_sqlite_engine,
    migrated_sqlite_template,
    postgres_admin_url,
    scratch_postgres_database,
)

_ids = itertools.count(1)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return migrated_sqlite_template(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A freshly migrated Postgres database for the whole session."""
    admin_url = postgres_admin_url()
    if admin_url is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but TEST_DATABASE_URL is not set: Postgres tests must run.")
        pytest.skip("TEST_DATABASE_URL not set; Postgres tests skipped locally.")
    try:
        with scratch_postgres_database(admin_url) as url:
            engine = make_engine(url)
            upgrade_to_head(engine, log=False)
            engine.dispose()
            yield url
    except OperationalError as error:
        pytest.fail(f"Cannot reach Postgres at TEST_DATABASE_URL: {error}")


@pytest.fixture
def sqlite_engine(sqlite_template: Path, tmp_path: Path) -> Iterator[Engine]:
    engine = fresh_sqlite_engine(sqlite_template, tmp_path)
    use_engine(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    """The session's Postgres database; tests isolate by creating their own users and orgs."""
    engine = make_engine(postgres_url)
    use_engine(engine)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_engine(request: pytest.FixtureRequest) -> Engine:
    """Run the test once on SQLite and once on Postgres."""
    fixture_name = "sqlite_engine" if request.param == "sqlite" else "postgres_engine"
    engine: Engine = request.getfixturevalue(fixture_name)
    return engine


def make_user(name: str = "user") -> UserInfo:
    """A new user with a unique email and an empty personal wallet."""
    number = next(_ids)
    return create_user(f"{name}-{os.getpid()}-{number}@example.com", name.title())


def make_org(owner: UserInfo, name: str = "org") -> OrgInfo:
    """A new organization with a unique slug, owned by `owner`, with an empty wallet."""
    return create_organization(owner.id, name.title(), f"{name}-{os.getpid()}-{next(_ids)}")
