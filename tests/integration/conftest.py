"""One real app process (`reflex run --env prod --backend-only`) shared by the API tests.

It runs on the session's Postgres database when TEST_DATABASE_URL is set (always in CI), else
on a SQLite file. Tests isolate themselves by registering their own users and orgs. Test setup
that has no public endpoint (funding a wallet) calls the services on the same database.
"""

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import Engine

from credits_app.db import make_engine, use_engine
from tests.support.api_client import SERVICE_KEY, ApiClient
from tests.support.app_server import RunningApp, prepare_database, running_app
from tests.support.databases import postgres_admin_url


@pytest.fixture(scope="session")
def api_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningApp]:
    """The backend with the service API enabled, on Postgres when configured."""
    directory = tmp_path_factory.mktemp("api-server")
    if postgres_admin_url() is not None:
        database_url: str = request.getfixturevalue("postgres_url")
    else:
        database_url = f"sqlite:///{directory / 'credits.db'}"
        prepare_database(database_url, "migrate")
    env = {"SERVICE_API_KEY": SERVICE_KEY}
    with running_app(database_url, directory, backend_only=True, env=env) as app:
        yield app


@pytest.fixture(scope="session")
def api_server_engine(api_server: RunningApp) -> Iterator[Engine]:
    engine = make_engine(api_server.database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def api(api_server: RunningApp, api_server_engine: Engine) -> Iterator[ApiClient]:
    """An HTTP client for the running app; services in this process use the same database."""
    use_engine(api_server_engine)
    with httpx.Client(base_url=api_server.base_url, timeout=30) as http:
        yield ApiClient(http)
